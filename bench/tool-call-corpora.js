// bench:tool-calls' second table: whole answers from the corpora, scored per chunking through `auto`
// with each entry's tools (what the shipped profiles run). The fenced-JSON corpus (Qwen2.5-Coder's
// habit, and the examples and package.json fences that must stay text) and the answers recorded from
// the real Qwen2.5-Coder-1.5B under Claude Code's prompts, trimmed and untrimmed, each read with the
// options the proxy gives its prompt (asks-to-see-a-call.ts). A real call: an entry whose expected
// events hold a call (or a broken call's note), exact; a quoted call: a fenced-JSON entry expected as
// text, or a recorded answer to a prompt that asked to be shown or told, given back as exactly that
// text; the rest (recorded answers in prose, or calling a tool the request lacks) as exact text too.
import { asksToSeeACall } from "#dist/pipeline/answer-checks/asks-to-see-a-call.js";
import { createToolCallParser } from "#dist/tools/parsers/index.js";

const RANDOM_SEEDS = 20;

/** The events for one answer fed in these pieces, adjacent texts joined (where a text splits is free). */
function parse(chunks, entry) {
  const asked = entry.prompt !== undefined && asksToSeeACall({ messages: [{ role: "user", content: entry.prompt }] });
  const parser = createToolCallParser("auto", { toolNames: entry.toolNames, ...(asked ? { ownMarkupOnly: true } : {}) });
  const events = [...chunks.flatMap((chunk) => parser.feed(chunk)), ...parser.end()];
  return events.reduce((out, event) => {
    const last = out.at(-1);
    if (event.type === "text" && last?.type === "text") out[out.length - 1] = { type: "text", text: last.text + event.text };
    else out.push(event);
    return out;
  }, []);
}

/** calls, quotes (a fenced-JSON text entry, or an answer to a prompt asking for text), or other. */
function sideOf(entry) {
  if (entry.expected.some((event) => event.type !== "text")) return "calls";
  return entry.asked === undefined || entry.asked === "text" ? "quotes" : "other";
}

/**
 * One row per corpus: [ok, n] for real calls, quotes and the rest, per chunking (whole, 1 character,
 * the seeded random splits together).
 */
function score(entries, splitText) {
  const chunkings = { whole: ["whole"], char: ["char"], random: Array.from({ length: RANDOM_SEEDS }, (_, i) => i + 1) };
  const row = {};
  for (const [chunking, hows] of Object.entries(chunkings)) {
    const tally = { calls: [0, 0], quotes: [0, 0], other: [0, 0] };
    for (const entry of entries) {
      const expected = JSON.stringify(entry.expected);
      for (const how of hows) {
        const ok = JSON.stringify(parse(splitText(entry.input, how), entry)) === expected;
        const side = tally[sideOf(entry)];
        side[0] += ok ? 1 : 0;
        side[1] += 1;
      }
    }
    row[chunking] = tally;
  }
  return row;
}

const pct = ([ok, n]) => (n === 0 ? "—" : `${((100 * ok) / n).toFixed(1)}% (${ok}/${n})`);

/**
 * The markdown table, from the bundled test module (its corpora and splitText).
 * @param {Pick<import("./tool-calls.js").Cases, "fencedJsonCorpus" | "recordedQwenCoderCorpus" | "splitText">} module
 */
export function corporaTable({ fencedJsonCorpus, recordedQwenCoderCorpus, splitText }) {
  /** @type {[string, readonly import("../test/unit/tool-parser-corpus/auto.js").AutoCorpusEntry[]][]} */
  const corpora = [
    ["fenced JSON (fenced-json.ts)", fencedJsonCorpus],
    ["recorded Qwen2.5-Coder-1.5B, trimmed", recordedQwenCoderCorpus.filter((entry) => entry.mode === "trimmed")],
    ["recorded Qwen2.5-Coder-1.5B, untrimmed", recordedQwenCoderCorpus.filter((entry) => entry.mode === "untrimmed")],
  ];
  const lines = [
    `Whole answers from the corpora through \`auto\` with each entry's tools (and, for a recorded answer, the parser options the proxy gives its prompt), whole, 1 character at a time and in ${RANDOM_SEEDS} seeded random splits (1–12 characters). Real calls: entries expected to hold a call (or a broken call's note), every event exact. Quoted: fenced-JSON entries expected as text (an example, the format explained, a package.json, a tool the request lacks) and recorded answers to a prompt asking to be shown or told about a call, the exact text back. Other: recorded answers to a request for work that hold no call of an offered tool (prose, a call of \`ls\`), the exact text back.`,
    "",
    "| corpus | entries (calls / quoted / other) | real calls exact: whole / 1 char / random | quoted left as text: whole / 1 char / random | other as exact text: whole / 1 char / random |",
    "|---|---|---|---|---|",
  ];
  for (const [name, entries] of corpora) {
    const row = score(entries, splitText);
    const count = (side) => entries.filter((entry) => sideOf(entry) === side).length;
    const cells = (side) => ["whole", "char", "random"].map((chunking) => pct(row[chunking][side])).join(" / ");
    lines.push(
      `| ${name} | ${entries.length} (${count("calls")} / ${count("quotes")} / ${count("other")}) | ${cells("calls")} | ${cells("quotes")} | ${cells("other")} |`,
    );
  }
  return lines.join("\n");
}
