/**
 * The model kit (npm run models, scripts/model-kit): its outside contract, and proof that the MLX
 * folder it converts is the GGUF's model — the same tokens for the same text, the same prompt from
 * the chat template, and the same greedy answer from mlx as from llama.cpp (node-llama-cpp).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { getLlama, LlamaLogLevel, type Token } from "node-llama-cpp";
import { beforeAll, expect, it } from "vitest";
import { defaultThreads } from "../src/shared/default-threads.js";
import { usesFlashAttention } from "../src/engine/get-engine-llama.js";
import { planOpenBlasPreload } from "../src/supervisor/preload-openblas.js";
import { describeWithModelKit, kit, MODEL_KIT_DIR } from "./helpers/model-kit.js";

const ROOT = join(import.meta.dirname, "..");

const TEXTS = [
  "def add(a, b):\n    return a + b\n",
  "Hello, world! 12345 + 678 = 13023",
  "  indented\n\n\ttabs\r\nand CRLF   trailing   ",
  "Ünïcödé — 日本語のテキスト, emoji 🚀🔥 and العربية",
  "const x = `template ${literal}`; // comment\nfn main() -> Result<(), Box<dyn Error>> {}",
  '<tool_call>\n{"name": "Read", "arguments": {"file_path": "/tmp/a.txt"}}\n</tool_call>',
  "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
];

const CHATS = [
  [{ role: "user", content: "Write a Python function that returns the factorial of n." }],
  [
    { role: "system", content: "You are a terse assistant. Answer in one sentence." },
    { role: "user", content: "What does the `ls -la` command show?" },
  ],
];

const MAX_TOKENS = 32;
/** Log-probability margins under this are ties that the two engines' rounding may break either way. */
const NEAR_TIE = 0.1;

interface MlxAnswer {
  tokenized: number[][];
  rendered: string[];
  prompt_ids: number[][];
  greedy: number[][];
  margins: number[][];
}

describeWithModelKit("npm run models: the contract", () => {
  it("prints one JSON object of absolute paths as its last line, from the cache alone once filled", () => {
    const out = execFileSync("npm", ["run", "--silent", "models"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
    const last = out.trim().split("\n").at(-1)!;
    const printed = JSON.parse(last) as Record<string, unknown>;
    expect(Object.keys(printed)).toEqual(expect.arrayContaining(["python", "mlx_model", "chat_gguf", "coder_gguf"]));
    for (const key of ["python", "mlx_model", "chat_gguf", "coder_gguf"]) {
      const path = printed[key] as string;
      expect(path.startsWith("/"), `${key} is absolute`).toBe(true);
      expect(existsSync(path), `${key} exists`).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(MODEL_KIT_DIR, "kit.json"), "utf8"))).toEqual(printed);
  }, 150_000);

  it("converts into the folder mlx_lm.server loads: config, float32 safetensors with mlx_lm.convert's weight index, tokenizer with the GGUF's chat template", () => {
    const folder = kit().mlx_model;
    const config = JSON.parse(readFileSync(join(folder, "config.json"), "utf8")) as Record<string, unknown>;
    expect(config).toMatchObject({ model_type: "qwen2", num_hidden_layers: 24, hidden_size: 896, tie_word_embeddings: false, eos_token_id: [151645] });
    expect(existsSync(join(folder, "model.safetensors"))).toBe(true);
    // What mlx_lm.server --pipeline (mlx-lm's sharded_load) reads to find a rank's layers.
    const index = JSON.parse(readFileSync(join(folder, "model.safetensors.index.json"), "utf8")) as {
      metadata: { total_size: number };
      weight_map: Record<string, string>;
    };
    expect(Object.keys(index.weight_map)).toHaveLength(291);
    expect(index.weight_map["model.layers.23.mlp.down_proj.weight"]).toBe("model.safetensors");
    expect(new Set(Object.values(index.weight_map))).toEqual(new Set(["model.safetensors"]));
    expect(index.metadata.total_size).toBeGreaterThan(2e9);
    const tokenizerConfig = JSON.parse(readFileSync(join(folder, "tokenizer_config.json"), "utf8")) as { chat_template: string; eos_token: string };
    expect(tokenizerConfig.eos_token).toBe("<|im_end|>");
    // Qwen2.5's template, whose `<tool_call>` markup makes mlx-lm parse tool calls into tool_calls.
    expect(tokenizerConfig.chat_template).toContain("<tool_call>");
    expect(tokenizerConfig.chat_template).toContain("tool_call.name");
  });
});

/** The MLX folder's tokens and greedy answers (mlx, as mallex runs it), and llama.cpp's on the GGUF it came from. */
async function compareWithLlamaCpp(
  folder: string,
  gguf: string,
): Promise<{ mlx: MlxAnswer; llamaCpp: { texts: Token[][]; rendered: Token[][]; greedy: Token[][] } }> {
  const request = JSON.stringify({ texts: TEXTS, chats: CHATS, max_tokens: MAX_TOKENS });
  // mlx as mallex runs it on Linux: with the system's OpenBLAS when there is one (same tokens, faster).
  const blas = planOpenBlasPreload({ platform: process.platform, arch: process.arch, exists: existsSync, ldPreload: process.env.LD_PRELOAD });
  const { stdout } = await execa(kit().python, [join(ROOT, "scripts/model-kit/mlx_greedy.py"), folder], {
    input: request,
    env: { HF_HUB_OFFLINE: "1", ...(blas?.kind === "preload" ? { LD_PRELOAD: blas.ldPreload } : {}) },
    timeout: 540_000,
  });
  const mlx = JSON.parse(stdout) as MlxAnswer;

  const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: gguf });
  // Threads and flash attention as mallex's engine sets them: node-llama-cpp's defaults oversubscribe a small machine.
  const context = await model.createContext({ contextSize: 1024, threads: defaultThreads(llama.cpuMathCores), flashAttention: usesFlashAttention(llama) });
  const greedy: Token[][] = [];
  for (const ids of mlx.prompt_ids) {
    const sequence = context.getSequence();
    const tokens: Token[] = [];
    for await (const token of sequence.evaluate(ids as Token[], { temperature: 0 })) {
      if (model.isEogToken(token) || tokens.length === MAX_TOKENS) break;
      tokens.push(token);
    }
    greedy.push(tokens);
    sequence.dispose();
  }
  const llamaCpp = { texts: TEXTS.map((text) => model.tokenize(text, true)), rendered: mlx.rendered.map((text) => model.tokenize(text, true)), greedy };
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  return { mlx, llamaCpp };
}

/** The three proofs that `folder` is `gguf`'s model, as one suite per converted model. */
function sameModelAsGguf(name: string, paths: () => { folder: string; gguf: string }): void {
  describeWithModelKit(name, () => {
    let mlx: MlxAnswer;
    let llamaCpp: { texts: Token[][]; rendered: Token[][]; greedy: Token[][] };
    beforeAll(async () => {
      const { folder, gguf } = paths();
      ({ mlx, llamaCpp } = await compareWithLlamaCpp(folder, gguf));
      // Minutes when the suite's other files load both cores (a model on each side).
    }, 600_000);

    it("tokenizes code, whitespace, digits, Unicode and special tokens as llama.cpp does", () => {
      expect(mlx.tokenized).toEqual(llamaCpp.texts);
    });

    it("renders each chat with the GGUF's template into the tokens llama.cpp reads from that text", () => {
      expect(mlx.rendered[0]).toMatch(/^<\|im_start\|>system\n[\s\S]*<\|im_start\|>assistant\n$/);
      expect(mlx.prompt_ids).toEqual(llamaCpp.rendered);
    });

    // llama.cpp multiplies quantized weights by activations it quantizes too (Q8), mlx the dequantized
    // weights in float32: where the best two tokens are within NEAR_TIE of each other, rounding can
    // pick either. So the answers must agree token for token up to the end, or up to a step where
    // mlx's margin was such a tie.
    it("answers each chat with the same greedy tokens as llama.cpp, up to the end or to a near tie", () => {
      for (const [index, tokens] of mlx.greedy.entries()) {
        const theirs = llamaCpp.greedy[index]!;
        expect(tokens.length, `chat ${index} answered`).toBeGreaterThan(8);
        const split = tokens.findIndex((token, at) => token !== theirs[at]);
        if (split === -1 && tokens.length === theirs.length) continue;
        const at = split === -1 ? tokens.length : split;
        console.log(`chat ${index}: the same ${at} tokens, then mlx's margin ${mlx.margins[index]![at]?.toFixed(3)} (log-probability over the runner-up)`);
        expect(at, `chat ${index}: agreed for ${at} tokens`).toBeGreaterThanOrEqual(4);
        expect(mlx.margins[index]![at], `chat ${index}: split at token ${at}, not at a near tie`).toBeLessThan(NEAR_TIE);
      }
    });
  });
}

sameModelAsGguf("the kit's MLX folder (qwen2) against llama.cpp on the GGUF it came from", () => ({ folder: kit().mlx_model, gguf: kit().mlx_model_gguf }));

// The converter's llama path (q and k rows un-permuted, the smollm pre-tokenizer, tied embeddings),
// on the kit's SmolLM2, converted here into a temporary folder.
sameModelAsGguf("a llama-architecture GGUF (SmolLM2-135M-Instruct) converted, against llama.cpp", () => {
  const folder = join(mkdtempSync(join(tmpdir(), "mallex-mlx-")), "smollm2");
  execFileSync(kit().python, [join(ROOT, "scripts/model-kit/gguf_to_mlx.py"), kit().chat_gguf, folder], {
    env: { ...process.env, HF_HUB_OFFLINE: "1" },
    stdio: "ignore",
    timeout: 300_000,
  });
  return { folder, gguf: kit().chat_gguf };
});
