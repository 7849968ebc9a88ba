// Decoding speed of the model kit's real coder (Qwen2.5-Coder-1.5B, Q4_K_M) in mallex's embedded engine
// and in llama-server, plain and with speculative decoding: prompt lookup (llama-server: its n-gram
// lookup, `--spec-type ngram-simple`), and the kit's Qwen2.5-Coder-0.5B as a draft model (same
// tokenizer; the flag mallex adds for a profile's draft_model). Two answers, greedy: a file rewritten
// whole with one change (what a small model's Write does) and fresh code. The same output is checked
// across the variants, and tokens per second after the first token compared in one run.
// `npm run bench:speculative`; needs the model kit (`npm run models`); the llama-server part needs
// `npm run build:llama-server` (skipped with a line without it). `node bench/speculative.js --mlx-lm`:
// the same on the real mlx_lm.server (not in npm run bench: it first converts the 1.5B to MLX, 6 GB).
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import * as nodeLlamaCpp from "node-llama-cpp";
import { createEngineApp } from "#dist/engine/create-engine-app.js";
import { loadEngine } from "#dist/engine/load-engine.js";
import { planOpenBlasPreload } from "#dist/supervisor/preload-openblas.js";
import { findFreePort } from "#dist/supervisor/supervisor-deps.js";
import { createChildren } from "./peer-process.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const LLAMA_SERVER = join(root, ".cache", "llama.cpp", "build", "bin", "llama-server");

const kitDir = process.env.MALLEX_MODEL_KIT ?? join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "mallex-model-kit");

const FILE = `"""Invoices: line items, totals and tax."""
from dataclasses import dataclass, field
from decimal import Decimal, ROUND_HALF_UP


@dataclass
class LineItem:
    description: str
    quantity: int
    unit_price: Decimal

    def amount(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class Invoice:
    number: str
    customer: str
    items: list[LineItem] = field(default_factory=list)
    tax_rate: Decimal = Decimal("0.20")

    def add(self, description: str, quantity: int, unit_price: str) -> None:
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        self.items.append(LineItem(description, quantity, Decimal(unit_price)))

    def subtotal(self) -> Decimal:
        return sum((item.amount() for item in self.items), Decimal("0.00"))

    def tax(self) -> Decimal:
        return (self.subtotal() * self.tax_rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def total(self) -> Decimal:
        return self.subtotal() + self.tax()

    def lines(self) -> list[str]:
        rows = [f"Invoice {self.number} for {self.customer}"]
        for item in self.items:
            rows.append(f"{item.description:<30} {item.quantity:>4} x {item.unit_price:>8} = {item.amount():>10}")
        rows.append(f"{'Subtotal':<47} {self.subtotal():>10}")
        rows.append(f"{'Tax':<47} {self.tax():>10}")
        rows.append(f"{'Total':<47} {self.total():>10}")
        return rows


def parse_invoice(text: str) -> Invoice:
    header, *rows = [line for line in text.splitlines() if line.strip()]
    number, customer = header.split(";", 1)
    invoice = Invoice(number.strip(), customer.strip())
    for row in rows:
        description, quantity, unit_price = row.split(";")
        invoice.add(description.strip(), int(quantity), unit_price.strip())
    return invoice
`;

const PROMPTS = [
  {
    label: "a file rewritten whole with one change (Write)",
    content: `Here is invoices.py:\n\n\`\`\`python\n${FILE}\`\`\`\n\nRename the method \`lines\` to \`render_lines\`. Reply with the whole new file in one python code block and nothing else.`,
    maxTokens: 700,
  },
  {
    label: "fresh code",
    content:
      "Write a Python module with a class LruCache(capacity) that has get(key) and put(key, value), evicting the least recently used entry, and unittest tests for it. Reply with the code only.",
    maxTokens: 400,
  },
];

/**
 * One greedy streamed answer: its text, its tokens, the seconds from the first token to the end, and
 * (llama-server) how many drafted tokens the model accepted.
 * @param {(request: Request) => Promise<Response> | Response} send
 */
async function generate(send, prompt, { url = "http://engine/v1/chat/completions", temperature = 0, maxTokens = prompt.maxTokens } = {}) {
  const started = performance.now();
  const response = await send(
    new Request(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        messages: [{ role: "user", content: prompt.content }],
        max_tokens: maxTokens,
        temperature,
        // Sampled answers (a temperature above 0) draw from the same seed in every variant.
        ...(temperature > 0 ? { seed: 42 } : {}),
        stream: true,
        stream_options: { include_usage: true },
      }),
    }),
  );
  if (response.status !== 200) throw new Error(`the server answered ${response.status}: ${await response.text()}`);
  const decoder = new TextDecoder();
  let text = "";
  let firstAt;
  let usage;
  let timings;
  let buffer = "";
  if (response.body === null) throw new Error("the server answered with no body");
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk, { stream: true });
    const events = buffer.split("\n\n");
    buffer = events.pop() ?? "";
    for (const event of events) {
      const data = event.replace(/^data: /, "");
      if (!data.startsWith("{")) continue;
      const parsed = JSON.parse(data);
      const delta = parsed.choices?.[0]?.delta?.content;
      if (delta) {
        firstAt ??= performance.now();
        text += delta;
      }
      if (parsed.usage) usage = parsed.usage;
      if (parsed.timings) timings = parsed.timings;
    }
  }
  const end = performance.now();
  return {
    text,
    tokens: usage?.completion_tokens ?? 0,
    decodeS: (end - (firstAt ?? end)) / 1000,
    ttftS: ((firstAt ?? end) - started) / 1000,
    ...(timings?.draft_n ? { drafted: timings.draft_n, accepted: timings.draft_n_accepted } : {}),
  };
}

/** The model kit's files (kit.json), or undefined without the kit. */
function readKit() {
  const kitFile = join(kitDir, "kit.json");
  return existsSync(kitFile) ? JSON.parse(readFileSync(kitFile, "utf8")) : undefined;
}

export async function benchSpeculative() {
  const kit = readKit();
  if (kit === undefined) return `### Speculative decoding\n\nskipped: needs the model kit (npm run models; not found in ${kitDir})`;
  /** @type {Array<{ label: string, speculation: import("#dist/engine/load-engine.js").EngineOptions["speculation"] }>} */
  const variants = [
    { label: "plain", speculation: undefined },
    { label: "prompt lookup", speculation: { kind: "lookup" } },
    { label: "draft: Qwen2.5-Coder-0.5B Q4_K_M", speculation: { kind: "draft", modelPath: kit.mlx_model_gguf } },
  ];
  const results = [];
  let described;
  for (const variant of variants) {
    const engine = await loadEngine({
      nodeLlamaCpp,
      modelPath: kit.coder_gguf,
      contextSize: 4096,
      gpuLayers: 0,
      ...(variant.speculation ? { speculation: variant.speculation } : {}),
    });
    described ??= engine.description;
    try {
      const app = createEngineApp(engine, { log: () => undefined, now: () => performance.now() });
      for (const prompt of PROMPTS) {
        // A fresh sequence for each answer: nothing of the one before helps it.
        await engine.pool.acquire([], AbortSignal.timeout(1000)).then(({ slot, release }) => slot.sequence.clearHistory().finally(release));
        results.push({ variant, prompt, ...(await generate((request) => app.fetch(request), prompt)) });
      }
    } finally {
      await engine.dispose();
    }
  }
  const engineTable = table(
    "### Speculative decoding in the embedded engine: the real 1.5B coder, greedy",
    `\`npm run bench:speculative\` (${described}; the speculating variants add their predictor). Tokens per second from the first token to the end of the answer; "same output" compares the text with the plain variant's.`,
    variants,
    results,
  );
  return [engineTable, await benchLlamaServer(kit)].join("\n\n");
}

/**
 * The same answers from llama-server (2 threads, one slot, a 4,096-token context), plain, with its
 * n-gram lookup, and with the 0.5B as its draft; greedy, or sampled at `temperature` (the small
 * profiles' 0.2) with one seed.
 */
export async function benchLlamaServer(kit, temperature = 0) {
  const heading = `### Speculative decoding in llama-server: the real 1.5B coder, ${temperature === 0 ? "greedy" : `temperature ${temperature}, seed 42`}`;
  if (!existsSync(LLAMA_SERVER)) return `${heading}\n\nskipped: needs llama-server (npm run build:llama-server; not found at ${LLAMA_SERVER})`;
  const base = ["-m", kit.coder_gguf, "-c", "4096", "-np", "1", "-t", "2", "--jinja", "--host", "127.0.0.1"];
  const variants = [
    { label: "plain", args: [] },
    { label: "n-gram lookup (--spec-type ngram-simple)", args: ["--spec-type", "ngram-simple"] },
    {
      label: "draft: Qwen2.5-Coder-0.5B Q4_K_M (--model-draft, --spec-type draft-simple)",
      args: ["--model-draft", kit.mlx_model_gguf, "--spec-type", "draft-simple", "-td", "2"],
    },
  ];
  const results = await answerOnEachServer(variants, {
    program: LLAMA_SERVER,
    args: (variant, port) => [...base, ...variant.args, "--port", String(port)],
    env: process.env,
    startTimeoutMs: 120_000,
    // No cache between answers: each is a prompt of its own, and `cache_prompt` only reuses a shared prefix.
    answer: (prompt, url) => generate(fetch, prompt, { url, temperature }),
  });
  return table(
    heading,
    "`npm run bench:speculative` (`.cache/llama.cpp/build/bin/llama-server`, built from node-llama-cpp's llama.cpp source; 2 threads for the model and for the draft). Tokens per second as above; \"accepted\": of the tokens drafted, those the model kept (llama-server's own `timings`).",
    variants,
    results,
  );
}

/**
 * The same answers from the real mlx_lm.server (the kit's venv, mlx's CPU backend with OpenBLAS): the
 * 1.5B converted to an MLX folder as the kit converts the 0.5B (float32, once, into
 * .cache/bench-models/mlx), plain and with the kit's MLX 0.5B as its `--draft-model`. Answers are cut
 * at `maxTokens` (mlx's CPU backend decodes the float32 1.5B at a few tokens a second).
 */
export async function benchMlxLm(kit, maxTokens = 160) {
  const heading = `### Speculative decoding in mlx_lm.server: the real 1.5B coder, greedy, the first ${maxTokens} tokens`;
  const target = join(root, ".cache", "bench-models", "mlx", "Qwen2.5-Coder-1.5B-Instruct.Q4_K_M");
  if (!existsSync(join(target, "config.json"))) {
    const scratch = `${target}.converting`;
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch, { recursive: true });
    await execa(kit.python, [join(root, "scripts", "model-kit", "gguf_to_mlx.py"), kit.coder_gguf, scratch], {
      env: { ...process.env, HF_HUB_OFFLINE: "1" },
      stdio: "inherit",
    });
    renameSync(scratch, target);
  }
  const blas = planOpenBlasPreload({ platform: process.platform, arch: process.arch, exists: existsSync, ldPreload: process.env.LD_PRELOAD });
  const env = { ...process.env, HF_HUB_OFFLINE: "1", PYTHONUNBUFFERED: "1", ...(blas?.kind === "preload" ? { LD_PRELOAD: blas.ldPreload } : {}) };
  const variants = [
    { label: "plain", args: [] },
    { label: "draft: Qwen2.5-Coder-0.5B, MLX float32 (--draft-model), 3 tokens a guess (its default)", args: ["--draft-model", kit.mlx_model] },
    { label: "the same draft, 6 tokens a guess (--num-draft-tokens 6)", args: ["--draft-model", kit.mlx_model, "--num-draft-tokens", "6"] },
  ];
  const results = await answerOnEachServer(variants, {
    program: join(dirname(kit.python), "mlx_lm.server"),
    args: (variant, port) => ["--model", target, "--host", "127.0.0.1", "--port", String(port), ...variant.args],
    env,
    startTimeoutMs: 300_000,
    // mlx_lm.server loads its models on the first request: one token first, so no answer's time includes it.
    warmUp: (url) => generate(fetch, { content: "hi", maxTokens: 1 }, { url }),
    answer: (prompt, url) => generate(fetch, prompt, { url, maxTokens }),
  });
  return table(
    heading,
    `\`node bench/speculative.js --mlx-lm\` (mlx_lm.server ${describedMlxLm(kit)}, one process, nothing beside it). Tokens per second from the first token to the end of the answer; "same output" compares the text with the plain variant's.`,
    variants,
    results,
  );
}

/**
 * Each variant's server started in turn (ready once its /health answers below 500), every prompt
 * answered by it, and the server stopped before the next starts: one row per variant and prompt.
 * @param {Array<{ label: string, args: string[] }>} variants
 * @param {{ program: string, args: (variant: { label: string, args: string[] }, port: number) => string[], env: NodeJS.ProcessEnv, startTimeoutMs: number, warmUp?: (url: string) => Promise<unknown>, answer: (prompt: (typeof PROMPTS)[number], url: string) => ReturnType<typeof generate> }} server
 */
async function answerOnEachServer(variants, { program, args, env, startTimeoutMs, warmUp, answer }) {
  const children = createChildren();
  const results = [];
  try {
    for (const variant of variants) {
      const port = await findFreePort();
      const url = `http://127.0.0.1:${port}/v1/chat/completions`;
      const child = await children.start(variant.label, program, args(variant, port), {
        env,
        cwd: root,
        readyUrl: `http://127.0.0.1:${port}/health`,
        startTimeoutMs,
      });
      try {
        await warmUp?.(url);
        for (const prompt of PROMPTS) results.push({ variant, prompt, ...(await answer(prompt, url)) });
      } finally {
        await child.stop();
      }
    }
  } finally {
    await children.stopAll();
  }
  return results;
}

/** The mlx-lm version of the kit's venv, as its dist-info names it. */
function describedMlxLm(kit) {
  const lib = join(dirname(dirname(kit.python)), "lib");
  for (const python of existsSync(lib) ? readdirSync(lib) : []) {
    const info = readdirSync(join(lib, python, "site-packages")).find((name) => /^mlx_lm-.*\.dist-info$/.test(name));
    if (info) return info.replace(/^mlx_lm-(.*)\.dist-info$/, "$1");
  }
  return "(version unknown)";
}

/** The variants' answers, one row each, against the plain variant's of the same answer. */
function table(heading, caption, variants, results) {
  const lines = [heading, "", caption, "", "| answer | decoding | tokens | tokens/s | vs plain | same output | accepted |", "|---|---|---|---|---|---|---|"];
  for (const prompt of PROMPTS) {
    const plain = results.find((r) => r.prompt === prompt && r.variant === variants[0]);
    if (plain === undefined) throw new Error(`no plain answer for ${prompt.label}`);
    for (const row of results.filter((r) => r.prompt === prompt)) {
      const rate = row.tokens / row.decodeS;
      const plainRate = plain.tokens / plain.decodeS;
      const accepted = row.drafted === undefined ? "—" : `${row.accepted} of ${row.drafted} (${Math.round((100 * row.accepted) / row.drafted)}%)`;
      lines.push(
        `| ${prompt.label} | ${row.variant.label} | ${row.tokens} | ${rate.toFixed(1)} | ${row === plain ? "—" : `${(rate / plainRate).toFixed(2)}×`} | ${row === plain ? "—" : row.text === plain.text ? "yes" : "no"} | ${accepted} |`,
      );
    }
  }
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // `-- --mlx-lm`: mlx_lm.server's draft alone (not part of `npm run bench`: it converts the 1.5B, 6 GB).
  if (process.argv.includes("--mlx-lm")) {
    const kit = readKit();
    console.log(kit === undefined ? `skipped: needs the model kit (npm run models; not found in ${kitDir})` : await benchMlxLm(kit));
  }
  // `-- --llama-server [--temperature T]`: llama-server's part alone, greedy or sampled.
  else if (process.argv.includes("--llama-server")) {
    const kit = readKit();
    const at = process.argv.indexOf("--temperature");
    const temperature = at === -1 ? 0 : Number(process.argv[at + 1]);
    if (!(temperature >= 0)) throw new Error("--temperature takes a number, 0 or more");
    console.log(kit === undefined ? `skipped: needs the model kit (npm run models; not found in ${kitDir})` : await benchLlamaServer(kit, temperature));
  } else console.log(await benchSpeculative());
}
