// `npm run bench:tool-calls`: the issue 23 matrix as rates, per family: how many real calls come back
// exact (positives) and how many quoted ones come back as the exact text (negatives), streamed in
// seeded random chunks and one character at a time, through the family's parser and through `auto`;
// and how much text each holds back before releasing it; then whole answers from the fenced-JSON
// corpus and the one recorded from the real Qwen2.5-Coder-1.5B (bench/tool-call-corpora.js). Prints
// markdown tables for docs/benchmarks.md.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { createToolCallParser } from "#dist/tools/parsers/index.js";
import { corporaTable } from "./tool-call-corpora.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const RANDOM_SEEDS = 20;

/**
 * @typedef {typeof import("../test/unit/tool-parser-corpus/call-positions.js")
 *   & Pick<typeof import("../test/unit/tool-parser-corpus/fenced-json.js"), "fencedJsonCorpus">
 *   & Pick<typeof import("../test/unit/tool-parser-corpus/recorded-qwen2.5-coder-1.5b.js"), "recordedQwenCoderCorpus">
 *   & Pick<typeof import("../test/helpers/split-text.js"), "splitText">} Cases
 */

/**
 * The case generator, the corpora and the text splitter live with the tests (TypeScript): bundled once for this run.
 * @returns {Promise<Cases>}
 */
async function loadCases() {
  const dir = mkdtempSync(join(tmpdir(), "mallex-bench-tool-calls-"));
  try {
    const outfile = join(dir, "call-positions.mjs");
    const contents = [
      'export * from "./test/unit/tool-parser-corpus/call-positions.ts";',
      'export { fencedJsonCorpus } from "./test/unit/tool-parser-corpus/fenced-json.ts";',
      'export { recordedQwenCoderCorpus } from "./test/unit/tool-parser-corpus/recorded-qwen2.5-coder-1.5b.ts";',
      'export { splitText } from "./test/helpers/split-text.ts";',
    ].join("\n");
    await build({ stdin: { contents, resolveDir: root, loader: "ts" }, bundle: true, format: "esm", platform: "node", outfile, logLevel: "error" });
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Feeds the chunks and records, after each, how many characters were fed but not yet given back:
 * as text, or as the raw text of a call (parallel calls read from one block share it).
 */
function run(format, chunks, toolNames) {
  const parser = createToolCallParser(format, { toolNames });
  const events = [];
  let fed = 0;
  let released = 0;
  let lastRaw;
  let maxHeld = 0;
  let heldSum = 0;
  const account = (out) => {
    for (const event of out) {
      events.push(event);
      if (event.type === "text") released += event.text.length;
      else {
        const raw = event.type === "tool_call" ? event.call.raw : event.raw;
        if (raw !== lastRaw) released += raw.length;
        lastRaw = raw;
      }
    }
  };
  const started = performance.now();
  for (const chunk of chunks) {
    fed += chunk.length;
    account(parser.feed(chunk));
    const held = Math.max(0, fed - released);
    maxHeld = Math.max(maxHeld, held);
    heldSum += held;
  }
  account(parser.end());
  return { events, maxHeld, meanHeld: heldSum / chunks.length, ms: performance.now() - started };
}

/** @param {Cases} module */
function main(module) {
  const { caseApplies, positionCases, shapeOf, splitText: split, TOOL_NAMES } = module;
  const cases = positionCases();
  const families = [...new Set(cases.map((entry) => entry.family))];
  /** @type {("char" | number)[]} */
  const splits = ["char", ...Array.from({ length: RANDOM_SEEDS }, (_, i) => i + 1)];
  const prose = 'Sure. The answer is 42: see `src/app.ts` (line 3) and the <b>bold</b> note; a < b, {"k": 1}.\n'.repeat(4);
  const rows = [];
  for (const family of families) {
    const row = {
      family,
      positive: [0, 0],
      negative: [0, 0],
      autoPositive: [0, 0],
      autoNegative: [0, 0],
      /** @type {number[]} */
      held: [],
      /** @type {number[]} */
      heldMarker: [],
      heldProse: 0,
      heldProseAuto: 0,
    };
    for (const entry of cases.filter((c) => c.family === family)) {
      for (const how of splits) {
        for (const through of /** @type {const} */ (["family", "auto"])) {
          if (!caseApplies(entry, through)) continue;
          const result = run(through === "auto" ? "auto" : family, split(entry.input, how), TOOL_NAMES);
          const ok = JSON.stringify(shapeOf(result.events)) === JSON.stringify(entry.expected);
          const tally = row[through === "auto" ? (entry.negative ? "autoNegative" : "autoPositive") : entry.negative ? "negative" : "positive"];
          tally[0] += ok ? 1 : 0;
          tally[1] += 1;
          if (entry.negative && how === "char" && through === "family") {
            (entry.kind === "marker named in prose" ? row.heldMarker : row.held).push(result.maxHeld);
          }
        }
      }
    }
    row.heldProse = run(family, split(prose, "char"), TOOL_NAMES).maxHeld;
    row.heldProseAuto = run("auto", split(prose, "char"), TOOL_NAMES).maxHeld;
    rows.push(row);
  }
  // Parse cost once warm, on a long prose answer through auto, 1 character at a time.
  const long = prose.repeat(50);
  for (let i = 0; i < 3; i++) run("auto", split(long, "char"), TOOL_NAMES);
  const costs = Array.from({ length: 5 }, () => run("auto", split(long, "char"), TOOL_NAMES).ms).sort((a, b) => a - b);
  const pct = (/** @type {number[]} */ [ok, n]) => (n === 0 ? "not read (`tools.format: gemma3` only)" : `${((100 * ok) / n).toFixed(1)}% (${ok}/${n})`);
  const lines = [
    `Tool-call positions (bench/tool-calls.js): per family, 5 call cases, the call followed by each stray closer (\`</tool_call>\`, \`</s>\`, \`<|im_end|>\` and the family's own: 3 or 4) and by those tags named in prose, and 8 quoted cases (inline code, fence then prose, a \`~~~\` fence, an indented code block after prose and one ending the answer, marker named in prose, backticked marker, a sentence discussing the format), each streamed 1 character at a time and in ${RANDOM_SEEDS} seeded random splits (1–12 characters), through the family's parser and through \`auto\` (the default). Positives: every call exact, stray closers dropped; negatives: the exact text, no call, no note. Held back: the most characters fed but not yet released, streaming 1 character at a time: on a prose answer with \`<\`, backticks and JSON (family / auto), on the marker named in prose, and on the quoted whole calls (worst of inline code, the fences, the indented blocks, backticked marker, discussion: a fenced or mid-sentence call is held until what follows it shows it is an example). Parse cost through \`auto\`, warm, 1 character at a time over ${long.length.toLocaleString("en")} characters of prose: ${((1000 * costs[2]) / long.length).toFixed(2)} µs/char (median of 5).`,
    "",
    "| family | positives (family) | negatives (family) | positives (auto) | negatives (auto) | held back: prose (family / auto) | marker named in prose | quoted whole call (max) |",
    "|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (row) =>
        `| ${row.family} | ${pct(row.positive)} | ${pct(row.negative)} | ${pct(row.autoPositive)} | ${pct(row.autoNegative)} | ${row.heldProse} / ${row.heldProseAuto} chars | ${Math.max(...row.heldMarker)} chars | ${Math.max(...row.held)} chars |`,
    ),
  ];
  return lines.join("\n");
}

try {
  const module = await loadCases();
  console.log(`${main(module)}\n\n${corporaTable(module)}`);
} catch (error) {
  console.error(`\nbench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
}
