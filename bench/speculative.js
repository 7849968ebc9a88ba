// Decoding speed of the model kit's real coder (Qwen2.5-Coder-1.5B, Q4_K_M) in mallex's embedded engine,
// plain and with the two kinds of speculative decoding it offers: prompt lookup, and the kit's
// Qwen2.5-Coder-0.5B as a draft model (same tokenizer). Two answers, greedy: a file rewritten whole with
// one change (what a small model's Write does) and fresh code. The same output is checked across the
// three, and tokens per second after the first token compared in one run.
// `npm run bench:speculative`; needs the model kit (`npm run models`).
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import * as nodeLlamaCpp from "node-llama-cpp";
import { createEngineApp } from "#dist/engine/create-engine-app.js";
import { loadEngine } from "#dist/engine/load-engine.js";

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

/** One greedy streamed answer: its text, its tokens, and the seconds from the first token to the end. */
async function generate(app, prompt) {
  const started = performance.now();
  const response = await app.fetch(
    new Request("http://engine/v1/chat/completions", {
      method: "POST",
      body: JSON.stringify({
        messages: [{ role: "user", content: prompt.content }],
        max_tokens: prompt.maxTokens,
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
      }),
    }),
  );
  if (response.status !== 200) throw new Error(`engine answered ${response.status}: ${await response.text()}`);
  const decoder = new TextDecoder();
  let text = "";
  let firstAt;
  let usage;
  let buffer = "";
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
    }
  }
  const end = performance.now();
  return { text, tokens: usage?.completion_tokens ?? 0, decodeS: (end - (firstAt ?? end)) / 1000, ttftS: ((firstAt ?? end) - started) / 1000 };
}

export async function benchSpeculative() {
  const kitFile = join(kitDir, "kit.json");
  if (!existsSync(kitFile)) return `### Speculative decoding\n\nskipped: needs the model kit (npm run models; not found in ${kitDir})`;
  const kit = JSON.parse(readFileSync(kitFile, "utf8"));
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
        results.push({ variant, prompt, ...(await generate(app, prompt)) });
      }
    } finally {
      await engine.dispose();
    }
  }
  const lines = [
    "### Speculative decoding in the embedded engine: the real 1.5B coder, greedy",
    "",
    `\`npm run bench:speculative\` (${described}; the speculating variants add their predictor). Tokens per second from the first token to the end of the answer; "same output" compares the text with the plain variant's.`,
    "",
    "| answer | decoding | tokens | tokens/s | vs plain | same output |",
    "|---|---|---|---|---|---|",
  ];
  for (const prompt of PROMPTS) {
    const plain = results.find((r) => r.prompt === prompt && r.variant === variants[0]);
    if (plain === undefined) throw new Error(`no plain answer for ${prompt.label}`);
    for (const row of results.filter((r) => r.prompt === prompt)) {
      const rate = row.tokens / row.decodeS;
      const plainRate = plain.tokens / plain.decodeS;
      lines.push(
        `| ${prompt.label} | ${row.variant.label} | ${row.tokens} | ${rate.toFixed(1)} | ${row === plain ? "—" : `${(rate / plainRate).toFixed(2)}×`} | ${row === plain ? "—" : row.text === plain.text ? "yes" : "no"} |`,
      );
    }
  }
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchSpeculative());
