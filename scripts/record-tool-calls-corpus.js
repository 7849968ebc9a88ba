// Turns what `npm run record:tool-calls` recorded (.cache/record-tool-calls/<model>.jsonl) into the
// corpus file test/unit/tool-parser-corpus/recorded-qwen2.5-coder-1.5b.ts, and prints how often each
// shape occurred, trimmed and untrimmed, as a markdown table (docs/real-models.md).
//
//   node scripts/record-tool-calls-corpus.js [--in FILE] [--out FILE] [--date YYYY-MM-DD]
//
// Each entry's expected events are drafted from mallex's parser (auto, with the request's tools) and
// printed beside what the prompt asked for: every entry where the two disagree is listed for review
// against the tool-call rules of docs/proxy.md (a quote stays text; a call of a tool the request lacks stays text or
// gets a note), and a wrong draft is a parser defect to fix, not a label to keep.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { asksToSeeACall } from "#dist/pipeline/answer-checks/asks-to-see-a-call.js";
import { createToolCallParser } from "#dist/tools/parsers/index.js";
import { installedClaudeCode } from "./claude-code/capture-request.js";
import { RECORDING_PROMPTS } from "./record-tool-calls-prompts.js";
import { toolCallShape } from "./tool-call-shape.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({
  options: {
    in: { type: "string", default: join(ROOT, ".cache", "record-tool-calls", "coder_gguf.jsonl") },
    out: { type: "string", default: join(ROOT, "test", "unit", "tool-parser-corpus", "recorded-qwen2.5-coder-1.5b.ts") },
    date: { type: "string", default: new Date().toISOString().slice(0, 10) },
  },
});

const kit = JSON.parse(readFileSync(join(process.env.MALLEX_MODEL_KIT ?? join(process.env.HOME ?? "", ".cache", "mallex-model-kit"), "kit.json"), "utf8"));
const model = kit.models.coder;
const records = readFileSync(values.in, "utf8")
  .split("\n")
  .filter(Boolean)
  .map((line) => JSON.parse(line));
const claude = installedClaudeCode("@anthropic-ai/claude-code");

/** The parser's events for one whole answer, text joined, with the options the proxy gives it for this prompt. */
function parse(input, toolNames, prompt) {
  const asked = asksToSeeACall({ messages: [{ role: "user", content: prompt }] });
  const parser = createToolCallParser("auto", { toolNames, ...(asked ? { ownMarkupOnly: true } : {}) });
  const events = [...parser.feed(input), ...parser.end()];
  return events.reduce((out, event) => {
    const last = out.at(-1);
    if (event.type === "text" && last?.type === "text") last.text += event.text;
    else out.push({ ...event });
    return out;
  }, /** @type {import("#dist/tools/parsers/index.js").ToolParseEvent[]} */ ([]));
}

/** What the answer came to: the calls run, "text", or "note" (a broken call shown with why). */
function outcomeOf(events) {
  const calls = events.filter((event) => event.type === "tool_call").map((event) => event.call.name);
  if (calls.length > 0) return `call ${calls.join(", ")}`;
  return events.some((event) => event.type === "invalid_call") ? "note" : "text";
}

function intentOf(expect) {
  return expect === "text" ? "text" : `call ${expect.call.join(" or ")}`;
}

function agrees(outcome, expect) {
  if (expect === "text") return outcome === "text";
  return (
    outcome.startsWith("call ") &&
    outcome
      .slice(5)
      .split(", ")
      .every((name) => expect.call.includes(name))
  );
}

function promptText(id) {
  const prompt = RECORDING_PROMPTS.find((candidate) => candidate.id === id);
  if (prompt === undefined) throw new Error(`${values.in} has answers to a prompt no longer listed: ${id}`);
  return prompt.text;
}

const toolSets = [...new Set(records.map((record) => JSON.stringify(record.tools)))];
const toolConst = (tools) => `TOOLS_${toolSets.indexOf(JSON.stringify(tools)) + 1}`;
const entries = new Map();
const counts = {};
const review = [];
for (const record of records) {
  const shape = toolCallShape(record.text, record.tools, record.tool_calls !== undefined);
  const label = [shape.shape, shape.proseBefore ? "after prose" : "", shape.offered === false ? `of a tool not offered (${shape.named})` : ""]
    .filter(Boolean)
    .join(", ");
  const events = parse(record.text, record.tools, promptText(record.prompt));
  const outcome = outcomeOf(events);
  const row = (counts[label] ??= { trimmed: 0, untrimmed: 0, outcomes: new Map() });
  row[record.mode] += 1;
  row.outcomes.set(outcome, (row.outcomes.get(outcome) ?? 0) + 1);
  if (!agrees(outcome, record.expect))
    review.push(
      `${record.mode} ${record.prompt} ${record.sample}: asked for ${intentOf(record.expect)}, ${label}, parsed as ${outcome}: ${JSON.stringify(record.text.slice(0, 160))}`,
    );
  const key = JSON.stringify([record.text, record.tools]);
  const entry = entries.get(key);
  if (entry !== undefined) entry.samples.push(`${record.mode} ${record.sample}`);
  else entries.set(key, { record, events, label, outcome, samples: [`${record.mode} ${record.sample}`] });
}

const literal = (value) => JSON.stringify(value);
function eventSource(event) {
  if (event.type === "text") return `text(${literal(event.text)})`;
  if (event.type === "invalid_call") return `invalid(${literal(event.raw)}, ${literal(event.reason)})`;
  const { name, arguments: args, raw, untyped, repaired } = event.call;
  return `call(${literal(name)}, ${literal(args)}, ${literal(raw)}, ${untyped}${repaired === undefined ? "" : `, ${literal(repaired)}`})`;
}

/** The corpus-entry helpers the entries use (an unused import fails the typecheck). */
function helpersUsed() {
  const helper = (event) => (event.type === "tool_call" ? "call" : event.type === "invalid_call" ? "invalid" : "text");
  const used = new Set([...entries.values()].flatMap(({ events }) => events.map(helper)));
  return ["call", "invalid", "text"].filter((name) => used.has(name));
}

const modes = [...new Set(records.map((record) => record.mode))];
const source = [
  "/**",
  ` * Recorded from a real model: what ${model.title} (${model.quantization}, from the PyPI packages`,
  ` * ${model.source.replace(/ \(PyPI\)$/, "")}) answered in mallex's embedded engine (one CPU thread)`,
  ` * to Claude Code ${claude?.version ?? "?"}'s real first request for ${RECORDING_PROMPTS.length} prompts (captured from the CLI offline,`,
  " * its temporary folder names fixed), sent as the shipped profile gguf-qwen2.5-coder-1.5b sends it,",
  ` * ${modes.join(" and ")}, on ${values.date}: per prompt one greedy answer and three at temperature 0.7`,
  ` * (seeds 1–3), max_tokens 384; ${records.length} answers, ${entries.size} distinct. Written by \`npm run record:tool-calls\``,
  " * (scripts/record-tool-calls.js, then scripts/record-tool-calls-corpus.js). Each expectation follows",
  " * the tool-call rules of docs/proxy.md, checked by hand where it differs from what the prompt asked for",
  " * (`asked`): the model answered in prose or called a tool the request lacks (`ls`), and nothing runs;",
  " * asked to be shown a call, its call outside Hermes' own <tool_call> stays text (asks-to-see-a-call.ts).",
  " */",
  'import type { AutoCorpusEntry } from "./auto.js";',
  `import { ${helpersUsed().join(", ")} } from "./corpus-entry.js";`,
  "",
  "/**",
  " * A recorded answer, with the user's prompt (the proxy reads it: asked to be shown a call, an unmarked",
  " * call is the example, asks-to-see-a-call.ts) and what it asked for: a call of one of these tools, or text.",
  " */",
  "export interface RecordedEntry extends AutoCorpusEntry {",
  "  readonly prompt: string;",
  '  readonly asked: "text" | { readonly call: readonly string[] };',
  '  readonly mode: "trimmed" | "untrimmed";',
  "}",
  "",
  ...toolSets.map((set, i) => `const TOOLS_${i + 1} = ${set};`),
  "",
  "export const recordedQwenCoderCorpus: readonly RecordedEntry[] = [",
  ...[...entries.values()].map(({ record, events, samples, label }) => {
    const prompt = promptText(record.prompt);
    return [
      "  {",
      `    name: ${literal(`${record.mode}, "${prompt}" (${samples.join(", ")}): ${label}`)},`,
      `    mode: ${literal(record.mode)},`,
      `    prompt: ${literal(prompt)},`,
      `    asked: ${literal(record.expect)},`,
      `    input: ${literal(record.text)},`,
      `    expected: [${events.map(eventSource).join(", ")}],`,
      `    toolNames: ${toolConst(record.tools)},`,
      "  },",
    ].join("\n");
  }),
  "];",
  "",
].join("\n");
writeFileSync(values.out, source);

/** A shape's name in a table cell: fences and tags as code. */
function markdown(label) {
  return label
    .replace(/```([\w-]*)/g, "`` ```$1 ``")
    .replace(/<\w+>/g, (tag) => `\`${tag}\``)
    .replace(/\((ls[^)]*)\)/g, "(`$1`)");
}

const table = [
  `| shape | trimmed (of ${records.filter((r) => r.mode === "trimmed").length}) | untrimmed (of ${records.filter((r) => r.mode === "untrimmed").length}) | what mallex made of them (both) |`,
  "|---|---|---|---|",
  ...Object.entries(counts)
    .sort(([, a], [, b]) => b.trimmed + b.untrimmed - (a.trimmed + a.untrimmed))
    .map(
      ([label, row]) =>
        `| ${markdown(label)} | ${row.trimmed} | ${row.untrimmed} | ${[...row.outcomes].map(([outcome, n]) => `${outcome} ×${n}`).join("; ")} |`,
    ),
];
console.log(table.join("\n"));
console.log(`\n${entries.size} distinct entries in ${values.out}`);
console.log(`\n${review.length} answers where the outcome differs from what the prompt asked for (review each against the tool-call rules of docs/proxy.md):`);
for (const line of review) console.log(`- ${line}`);
