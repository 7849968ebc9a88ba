// What users feel most: time to first token of Claude Code's captured "what is 2+2" request on a real
// model in mallex's embedded engine, as Claude Code sent it (untrimmed) and as mallex trims it for each
// size tier. Real llama.cpp inference (node-llama-cpp's prebuilt CPU binary, one thread) on the tiny
// GGUFs in ../shared/models; every run starts with an empty KV cache (a fresh engine), so the prompt
// is prefilled in full, as for the first turn of a conversation.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureCompiled } from "#dist/compile/ensure-compiled.js";
import { createEngineApp } from "#dist/engine/create-engine-app.js";
import { loadEngine } from "#dist/engine/load-engine.js";
// node-llama-cpp from this checkout (its devDependency), as the engine's tests load it.
import * as nodeLlamaCpp from "node-llama-cpp";
import { profileTranslateOptions } from "#dist/pipeline/profile-translate-options.js";
import { loadTemplates } from "#dist/templates/load-templates.js";
import { convertAnthropicToOpenAI } from "#dist/translate/convert-anthropic-to-openai.js";
import { explainRequest } from "#dist/pipeline/explain-request.js";
import { summarize } from "./stats.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const shared = fileURLToPath(new URL("../../shared/", import.meta.url));
const MODELS = [
  { file: "llama-2-tiny-random-chatml.gguf", what: "llama-2-tiny-random (1 layer, 32 K vocab)", contextSize: 32768 },
  { file: "stories260K-chatml.gguf", what: "stories260K (real weights, 512-token vocab)", contextSize: 16384 },
];

export async function benchEngineTtft({ runs = 3 } = {}) {
  const fixture = JSON.parse(readFileSync(join(shared, "fixtures/claude-code/main-request-2plus2.json"), "utf8")).body;
  const home = mkdtempSync(join(tmpdir(), "mallex-bench-engine-"));
  const compiled = await ensureCompiled({ configPath: join(root, "mallex.yaml"), outDir: join(home, "generated"), cwd: root, env: {}, packageRoot: root });
  const table = compiled.table;
  const templates = await loadTemplates(join(home, "generated"));
  const local = Object.values(table.profiles).filter((p) => table.backends[p.backend]?.kind === "openai");
  const bySize = (size) => {
    const profile = local.find((p) => p.size === size);
    if (profile === undefined) throw new Error(`mallex.yaml has no local ${size} profile`);
    return profile;
  };
  const medium = bySize("medium");
  const variants = [
    { label: "untrimmed (as Claude Code sent it)", body: convertAnthropicToOpenAI(fixture, profileTranslateOptions(medium, "embedded")) },
    ...["small", "medium", "large"].map((size) => {
      const profile = bySize(size);
      return { label: `${size} tier (${profile.name})`, body: explainRequest(fixture, { table, profile, templates }).upstream };
    }),
  ];

  const rows = [];
  for (const model of MODELS) {
    for (const variant of variants) {
      const samples = [];
      let promptTokens;
      let refused;
      for (let i = 0; i < runs && refused === undefined; i++) {
        const engine = await loadEngine({
          nodeLlamaCpp,
          modelPath: join(shared, "models", model.file),
          threads: 1,
          contextSize: model.contextSize,
          gpuLayers: 0,
        });
        try {
          const app = createEngineApp(engine, { log: () => undefined, now: () => performance.now() });
          const body = { ...variant.body, stream: true, stream_options: { include_usage: true }, max_tokens: 1, temperature: 0 };
          const started = performance.now();
          const response = await app.fetch(new Request("http://engine/v1/chat/completions", { method: "POST", body: JSON.stringify(body) }));
          if (response.status !== 200) {
            const answer = /** @type {{ error?: { message?: string } }} */ (await response.json());
            refused = (answer.error?.message ?? `HTTP ${response.status}`).replace(/ \(--ctx-size\).*/, "");
            break;
          }
          const text = await response.text();
          samples.push(performance.now() - started);
          const usage = text
            .split("\n\n")
            .map((e) => e.replace(/^data: /, ""))
            .filter((d) => d.startsWith("{"))
            .map((d) => JSON.parse(d))
            .find((c) => c.usage)?.usage;
          promptTokens = usage?.prompt_tokens;
        } finally {
          await engine.dispose();
        }
      }
      rows.push({
        model,
        variant,
        chars: JSON.stringify(variant.body.messages).length + JSON.stringify(variant.body.tools ?? []).length,
        promptTokens,
        ttft: samples.length > 0 ? summarize(samples).p50 : undefined,
        refused,
      });
    }
  }

  const lines = [
    `### Time to first token in the embedded engine: Claude Code's "what is 2+2", untrimmed vs each tier`,
    "",
    `Each row: ${runs} runs on a fresh engine (cold KV cache), one CPU thread, \`max_tokens: 1\`; p50 of the time from the request to its answer (the whole prefill plus one token). Ratios against the untrimmed request on the same model.`,
    "",
    "| model | request | chars sent | prompt tokens | time to first token | vs untrimmed |",
    "|---|---|---|---|---|---|",
  ];
  for (const model of MODELS) {
    const base = rows.find((r) => r.model === model && r.variant === variants[0]);
    for (const row of rows.filter((r) => r.model === model)) {
      const ratio = row === base || row.ttft === undefined || base?.ttft === undefined ? "—" : `${(base.ttft / row.ttft).toFixed(1)}× faster`;
      const time = row.ttft !== undefined ? `${(row.ttft / 1000).toFixed(2)} s` : `does not fit: ${row.refused}`;
      lines.push(
        `| ${model.what} | ${row.variant.label} | ${row.chars.toLocaleString("en-US")} | ${row.promptTokens?.toLocaleString("en-US") ?? "—"} | ${time} | ${ratio} |`,
      );
    }
  }
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchEngineTtft());
