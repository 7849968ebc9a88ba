/**
 * Text tool-call parsers, one per model family, behind a single factory.
 *
 * Families parsed by mlx-lm 0.32 (`mlx_lm/tool_parsers`) and llama.cpp (`common/chat-parser.cpp`),
 * and what we do with each:
 * - covered: json_tools / Hermes 2 Pro / Xiaomi MiMo / Granite 4 (hermes), qwen3_coder, glm47 / GLM 4.5
 *   (glm45), kimi_k2, mistral / Mistral Nemo / Magistral, DeepSeek R1 / V3.1 (deepseek-v3), Llama 3.x
 *   (llama3-json), DeepSeek V3.2 / V4's DSML (deepseek-dsml), minimax_m2, GPT-OSS, Seed-OSS, pythonic / LFM2 (pythonic, which also reads LFM2's
 *   JSON list), Granite 3.x (granite, with Phi-4-mini's closing tag), Functionary v3.1, Command R7B
 *   (command-r, with Command R's `Action: ```json`), Nemotron V2, Apertus, Apriel 1.5, FireFunction v2,
 *   longcat, gemma4, function_gemma.
 * - skipped: Functionary v3.2 (`>>>name\n{…}` and a bare `name\n{` at the start: `>>>` is every Python
 *   REPL transcript), llama.cpp's Generic (`{"tool_call": …}` / `{"response": …}` as the whole output,
 *   only produced under its own grammar), Hermes 2 Pro's loose wrappers (`<tool>`, `<json>`, `<xml>`,
 *   `<response>`: ordinary words in prose; its ```json fence is read, below), Llama 3.x built-in tools
 *   (`<|python_tag|>brave_search.call(…)`: not tools Claude Code has), DeepSeek's rarer section spellings,
 *   and Solar Open / EXAONE MoE / Nemotron V3 (PEG-only in llama.cpp; no stable text format to copy).
 *
 * Where a call is a call (issue 23). Models quote and explain call markup as often as they write it,
 * and an agent that runs tools must not run an example. A family's start marker opens a call only:
 * - outside Markdown code: a marker inside an inline code span (any backtick count, the outer marker
 *   and every inner one alike) is text, and so is one on a fence's opening line or after other code
 *   in a fenced block;
 * - with a body that opens the way the family's calls do (its `head`: `{`, `<function=`, `call:`, a
 *   name then `<arg_key>`…). Otherwise the marker was named, not used: it is released as text as soon
 *   as the body stops matching, with no note. At the start of a line (a marker "in call position")
 *   a block with an end marker that closes within 200 characters and before a blank line is still
 *   read, and a broken call there keeps its note: the model wrapped something and clearly meant a call;
 * - mid-sentence (after a word and a space on the same line) only if the line ends right after the
 *   call; "a reply such as <tool_call>…</tool_call> would run" is text, and a broken call there is
 *   text too (prose never gets a note);
 * - in a fenced block only if the call (or calls) fill the block and the fence ends the answer: the
 *   fences are then dropped with the call. Some models wrap their real final call in ```json/```xml
 *   fences (llama.cpp's Hermes 2 Pro parser accepts such wrappers), while an example is followed by
 *   the prose that explains it; a fenced call followed by more prose is kept verbatim. The parsers we
 *   compared do not judge position at all: llama.cpp's PEG parsers read content up to the first start
 *   marker and then only calls and whitespace to the end (common/chat.cpp), mlx-lm and vLLM match
 *   the markers anywhere (we could not read their current sources here: PyPI was unreachable). A
 *   stray `</tool_call>` after the closing fence belongs to the call (Qwen2.5-Coder adds one);
 * - in a fenced block only if the prose that introduces the fence (the paragraph before it, after any
 *   earlier fence) does not present it as an example: "example", "for instance", "e.g.", "sample",
 *   "illustrate", "demonstrate", "looks like", "would", "could", "format", "syntax", "template",
 *   "such as" make it quoted, released as text from its first content on. A fence is how Markdown
 *   shows code, so a model asked what a call looks like fences it exactly as some models fence their
 *   real call, often with nothing after it; only these words tell the two apart, and since running an
 *   example (`rm -rf build`) is far worse than showing a real call as text, any one of them is enough
 *   ("I'll create the example config:" is then text too). The user's question is not consulted: the
 *   parser sees only the answer;
 * - at the start of a line, unfenced, only if the paragraph before it does not present a sample:
 *   "example", "for instance", "e.g.", "sample", "illustrate", "demonstrate", "looks like", "such as"
 *   (presentsSample). Most real calls are unfenced and follow a line of everyday prose, so the weaker
 *   cues that quote a fence ("would", "could", "format", "syntax", "template") do not count here.
 * Calls without markers are read in two places besides the output start (Llama 3's bare JSON, a
 * pythonic list, in auto), in every parser (markerless-json-spec.ts), always with `"name"` first and
 * naming one of the request's tools (so a fenced package.json is released at its first key, never
 * held): bare JSON as the whole content of a fence labelled `json`, `tool_call` or nothing,
 * `{"name": N, "arguments" | "parameters": {…}}` or a list of them, under the rules above
 * (Qwen2.5-Coder writes its calls so, whatever its template asked for, and llama.cpp's Hermes 2 Pro
 * parser accepts the same fence); and unfenced call objects from the start of a line to the end of the
 * answer (Qwen2.5's `I'll list the files.\n{"name": "Bash", "arguments": {…}}`), under the rules for a
 * call that starts a line, released as text as soon as anything follows them (an example and its
 * explanation). Pythonic lists after prose stay text. JSON
 * fenced again inside a family's tags (`<tool_call>\n```json\n{…}\n```\n</tool_call>`) is that call.
 * Only backtick fences can hold a real call: a `~~~` fence and an indented code block (4 columns after a
 * blank line, CommonMark's rule) are quotes, and a marker in them is text.
 * A closing tag or end-of-turn token right after a call, with only whitespace between (`</tool_call>`
 * after a bare `<function=…>` call, Mistral's `</s>`, `<|im_end|>`), is the call's leftover and dropped
 * in every family (drop-stray-closers.ts), and so is the family's own closer written twice
 * (`</TOOLCALL></TOOLCALL>`; in auto, any family's).
 * Formats without an end marker (Mistral, Granite, Llama 3's python tag, FireFunction) end at a closing
 * fence, and mid-sentence they are text when the sentence goes on after the call's JSON. Text is held
 * back only while it could still become a call: a possible marker prefix, an undecided head, a
 * fence's opening line until its first content, a mid-sentence call until its line ends.
 */
import { compileAutoFamilies, createAutoParser } from "./auto.js";
import { FAMILIES } from "./families.js";
import { isLooseWrapperBlock } from "./hermes.js";
import { MARKERLESS_JSON_BLOCKS, markerlessJsonSpec, withMarkerlessJsonCalls } from "./internal/markerless-json-spec.js";
import type { CallBlock } from "./internal/marker-scanner.js";
import { dropStrayClosers, familyClosers } from "./internal/drop-stray-closers.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import { toolNameSet } from "./internal/tool-name-set.js";
import type { ToolCallFormat, ToolCallParserOptions, ToolCallTextParser } from "./types.js";

export type { ParsedToolCall, ToolCallFormat, ToolCallParserOptions, ToolCallTextParser, ToolParseEvent } from "./types.js";

// Immutable once built; what `auto` watches depends only on the families, so every response shares it.
// Gemma 3's calls are Markdown fences (```tool_code), which auto must read as an answer's own code
// blocks (a fenced call of another family, a code sample): only a profile that names gemma3 reads them.
const AUTO_FAMILIES = compileAutoFamilies(
  [...Object.values(FAMILIES).filter((family) => family !== FAMILIES.gemma3), markerlessJsonSpec],
  [
    { family: FAMILIES["llama3-json"], head: "llama3" },
    { family: FAMILIES.pythonic, head: "pythonic" },
  ],
);

// The closers dropped right after a call: each family's own, and every family's for auto.
const OWN_CLOSERS = new Map<ToolCallFormat | "auto", readonly string[]>([
  ...(Object.keys(FAMILIES) as ToolCallFormat[]).map((format): [ToolCallFormat, string[]] => [format, familyClosers(FAMILIES[format].blocks)]),
  ["auto", familyClosers(Object.values(FAMILIES).flatMap((family) => family.blocks))],
]);

// Each family's blocks with the markerless JSON calls', one array per family for the life of the process
// (the scanner indexes its markers once per array).
const WITH_MARKERLESS_JSON = new Map<ToolCallFormat, readonly CallBlock[]>(
  (Object.keys(FAMILIES) as ToolCallFormat[]).map((format) => [format, [...FAMILIES[format].blocks, ...MARKERLESS_JSON_BLOCKS]]),
);

/**
 * A fresh parser for one response. Parsers hold the response's state, so never share one.
 * `"auto"` watches every family's markers and settles on the first one that is really used.
 *
 * @example
 * const parser = createToolCallParser("hermes");
 * const events = [...parser.feed("Let me look.<tool_call>"), ...parser.feed('{"name":"Read"}</tool_call>'), ...parser.end()];
 * const any = createToolCallParser("auto", { toolNames: ["Read", "Bash"] });
 */
export function createToolCallParser(format: ToolCallFormat | "auto", options: ToolCallParserOptions = {}): ToolCallTextParser {
  return dropStrayClosers(createParser(format, options), OWN_CLOSERS.get(format));
}

function createParser(format: ToolCallFormat | "auto", options: ToolCallParserOptions): ToolCallTextParser {
  if (format === "auto") {
    return createAutoParser(AUTO_FAMILIES, options);
  }
  // Object.hasOwn: guards a format string that slipped past config validation ("toString" included).
  if (!Object.hasOwn(FAMILIES, format)) throw new TypeError(`Unknown tool call format "${String(format)}"`);
  const family = FAMILIES[format];
  const toolNames = toolNameSet(options.toolNames);
  // JSON calls without markers are only ever calls to requested tools: with none, the family alone is read.
  if (options.ownMarkupOnly === true) return createMarkerScanner({ ...family, blocks: family.blocks.filter((block) => !isLooseWrapperBlock(block)) });
  if (toolNames.size === 0) return createMarkerScanner(family);
  return createMarkerScanner(withMarkerlessJsonCalls(family, WITH_MARKERLESS_JSON.get(format) ?? family.blocks, toolNames));
}
