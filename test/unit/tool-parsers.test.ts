import { describe, expect, it } from "vitest";
import { createToolCallParser } from "../../src/tools/parsers/index.js";
import type { ToolCallFormat, ToolCallParserOptions, ToolParseEvent } from "../../src/tools/parsers/index.js";
import { call, text } from "./tool-parser-corpus/corpus-entry.js";
import { TEXT_IN_AUTO } from "./tool-parser-corpus/text-in-auto.js";
import type { Corpus, CorpusEntry } from "./tool-parser-corpus/corpus-entry.js";
import { autoCorpus } from "./tool-parser-corpus/auto.js";
import { bareJsonCorpus } from "./tool-parser-corpus/bare-json.js";
import { fencedJsonCorpus } from "./tool-parser-corpus/fenced-json.js";
import { recordedQwenCoderCorpus } from "./tool-parser-corpus/recorded-qwen2.5-coder-1.5b.js";
import { asksToSeeACall } from "../../src/pipeline/answer-checks/asks-to-see-a-call.js";
import { apertusCorpus } from "./tool-parser-corpus/apertus.js";
import { aprielCorpus } from "./tool-parser-corpus/apriel.js";
import { commandRCorpus } from "./tool-parser-corpus/command-r.js";
import { deepseekDsmlCorpus } from "./tool-parser-corpus/deepseek-dsml.js";
import { deepseekV3Corpus } from "./tool-parser-corpus/deepseek-v3.js";
import { firefunctionV2Corpus } from "./tool-parser-corpus/firefunction-v2.js";
import { functionGemmaCorpus } from "./tool-parser-corpus/function-gemma.js";
import { functionaryV31Corpus } from "./tool-parser-corpus/functionary-v31.js";
import { gemma3Corpus } from "./tool-parser-corpus/gemma3.js";
import { gemma4Corpus } from "./tool-parser-corpus/gemma4.js";
import { glm45Corpus } from "./tool-parser-corpus/glm45.js";
import { gptOssCorpus } from "./tool-parser-corpus/gpt-oss.js";
import { graniteCorpus } from "./tool-parser-corpus/granite.js";
import { hermesCorpus } from "./tool-parser-corpus/hermes.js";
import { kimiK2Corpus } from "./tool-parser-corpus/kimi-k2.js";
import { llama3JsonCorpus } from "./tool-parser-corpus/llama3-json.js";
import { longcatCorpus } from "./tool-parser-corpus/longcat.js";
import { mallexXmlCorpus } from "./tool-parser-corpus/mallex-xml.js";
import { minimaxM2Corpus } from "./tool-parser-corpus/minimax-m2.js";
import { mistralCorpus } from "./tool-parser-corpus/mistral.js";
import { nemotronCorpus } from "./tool-parser-corpus/nemotron.js";
import { pythonicCorpus } from "./tool-parser-corpus/pythonic.js";
import { qwen3CoderCorpus } from "./tool-parser-corpus/qwen3-coder.js";
import { seedOssCorpus } from "./tool-parser-corpus/seed-oss.js";

const CORPUS: Corpus = {
  hermes: hermesCorpus,
  "qwen3-coder": qwen3CoderCorpus,
  "llama3-json": llama3JsonCorpus,
  mistral: mistralCorpus,
  glm45: glm45Corpus,
  "deepseek-v3": deepseekV3Corpus,
  "deepseek-dsml": deepseekDsmlCorpus,
  "kimi-k2": kimiK2Corpus,
  "mallex-xml": mallexXmlCorpus,
  "minimax-m2": minimaxM2Corpus,
  "gpt-oss": gptOssCorpus,
  "seed-oss": seedOssCorpus,
  pythonic: pythonicCorpus,
  granite: graniteCorpus,
  "functionary-v31": functionaryV31Corpus,
  "command-r": commandRCorpus,
  nemotron: nemotronCorpus,
  apertus: apertusCorpus,
  apriel: aprielCorpus,
  "firefunction-v2": firefunctionV2Corpus,
  longcat: longcatCorpus,
  gemma4: gemma4Corpus,
  "function-gemma": functionGemmaCorpus,
  gemma3: gemma3Corpus,
};

/** Feeds the chunks in order, then ends; checks no event is an empty text. */
function run(format: ToolCallFormat | "auto", chunks: readonly string[], options?: ToolCallParserOptions): ToolParseEvent[] {
  const parser = createToolCallParser(format, options);
  const events = [...chunks.flatMap((chunk) => parser.feed(chunk)), ...parser.end()];
  expect(events.filter((event) => event.type === "text" && event.text === "")).toEqual([]);
  return events;
}

/** Adjacent text events joined: chunking may split text, never anything else. */
function mergeText(events: readonly ToolParseEvent[]): ToolParseEvent[] {
  const merged: ToolParseEvent[] = [];
  for (const event of events) {
    const last = merged.at(-1);
    if (event.type === "text" && last?.type === "text") merged[merged.length - 1] = text(last.text + event.text);
    else merged.push(event);
  }
  return merged;
}

/** The same events whole, at every 2-way split, and char by char. */
function expectEverySplit(format: ToolCallFormat | "auto", input: string, expected: readonly ToolParseEvent[], options?: ToolCallParserOptions): void {
  expect(mergeText(run(format, [input], options))).toEqual(expected);
  for (let i = 0; i <= input.length; i++) {
    const events = mergeText(run(format, [input.slice(0, i), input.slice(i)], options));
    expect(events, `split at ${i}`).toEqual(expected);
  }
  expect(mergeText(run(format, input.split(""), options))).toEqual(expected);
}

describe.each(Object.entries(CORPUS) as Array<[ToolCallFormat, Corpus[ToolCallFormat]]>)("%s parser", (format, entries) => {
  it.each(entries.map((entry) => [entry.name, entry] as const))("%s: whole, every split, char by char", (_, entry) =>
    expectEverySplit(format, entry.input, entry.expected),
  );

  it("leaves unrelated prose untouched", () => {
    const prose = 'Plain answer: 1 < 2, a > b, [x](y), {"k": 1} — ünïcødé 😀.';
    const leading = format === "llama3-json" ? `ok ${prose}` : prose;
    expect(mergeText(run(format, [leading]))).toEqual([text(leading)]);
  });
});

/** The request's tools for a family entry run through auto: the calls it expects. */
const toolNamesOf = (entry: CorpusEntry): string[] => entry.expected.flatMap((event) => (event.type === "tool_call" ? [event.call.name] : []));

// Gemma 3's fences are read only where a profile names gemma3 (see parsers/index.ts).
describe.each((Object.entries(CORPUS) as Array<[ToolCallFormat, Corpus[ToolCallFormat]]>).filter(([format]) => format !== "gemma3"))(
  "auto parser on the %s corpus",
  (format, entries) => {
    it.each(entries.map((entry) => [entry.name, entry] as const))("%s", (_, entry) => {
      const differs = TEXT_IN_AUTO.has(`${format}: ${entry.name}`);
      const expected = differs ? [text(entry.input)] : entry.expected;
      expectEverySplit("auto", entry.input, expected, { toolNames: toolNamesOf(entry) });
    });
  },
);

describe("auto parser", () => {
  it.each(autoCorpus.map((entry) => [entry.name, entry] as const))("%s: whole, every split, char by char", (_, entry) =>
    expectEverySplit("auto", entry.input, entry.expected, { toolNames: entry.toolNames }),
  );

  it("lists every deliberate difference from a family that still exists", () => {
    const names = new Set(Object.entries(CORPUS).flatMap(([format, entries]) => entries.map((entry) => `${format}: ${entry.name}`)));
    expect([...TEXT_IN_AUTO].filter((name) => !names.has(name))).toEqual([]);
  });

  it("takes no options: markerless calls are then text", () => {
    const parser = createToolCallParser("auto");
    expect([...parser.feed('{"name": "Read"}'), ...parser.end()]).toEqual([text('{"name": "Read"}')]);
  });

  it("releases prose at once when the output does not open like a markerless call", () => {
    const parser = createToolCallParser("auto", { toolNames: ["Read"] });
    expect(parser.feed("Hello <b> <tool")).toEqual([text("Hello <b> ")]);
  });

  it("waits while the output start may still be a markerless call", () => {
    const parser = createToolCallParser("auto", { toolNames: ["Read"] });
    expect(parser.feed('  {"na')).toEqual([]);
    expect(parser.feed('me": "Other", ')).toEqual([text('  {"name": "Other", ')]);
  });

  it("stays linear on text made of nothing but markers", () => {
    const input = "<tool_call> ".repeat(20000);
    const started = performance.now();
    expect(mergeText(run("auto", [input], { toolNames: ["Read"] }))).toEqual([text(input)]);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

// Any family's model may fence a bare JSON call (Qwen2.5-Coder does it often), so every parser reads it.
describe.each(["auto", ...Object.keys(CORPUS)] as Array<ToolCallFormat | "auto">)("fenced JSON calls through the %s parser", (format) => {
  it.each(fencedJsonCorpus.map((entry) => [entry.name, entry] as const))("%s: whole, every split, char by char", (_, entry) =>
    expectEverySplit(format, entry.input, entry.expected, { toolNames: entry.toolNames }),
  );

  it("reads none without the request's tool names", () => {
    const input = fencedJsonCorpus[0]?.input ?? "";
    expect(mergeText(run(format, [input]))).toEqual([text(input)]);
  });
});

// Qwen2.5 writes its call as bare JSON on the line after a sentence (issue 49), so every parser reads it where it ends the answer.
describe.each(["auto", ...Object.keys(CORPUS)] as Array<ToolCallFormat | "auto">)("bare JSON calls after prose through the %s parser", (format) => {
  it.each(bareJsonCorpus.map((entry) => [entry.name, entry] as const))("%s: whole, every split, char by char", (_, entry) =>
    expectEverySplit(format, entry.input, entry.expected, { toolNames: entry.toolNames }),
  );

  it("reads none without the request's tool names, nor where only the family's own markup is read", () => {
    const input = bareJsonCorpus[0]?.input ?? "";
    expect(mergeText(run(format, [input]))).toEqual([text(input)]);
    expect(mergeText(run(format, [input], { toolNames: ["Bash"], ownMarkupOnly: true }))).toEqual([text(input)]);
  });

  it("releases an example as soon as the prose after it begins", () => {
    const parser = createToolCallParser(format, { toolNames: ["Bash"] });
    const example = 'Here is the call:\n{"name": "Bash", "arguments": {"command": "rm -rf build"}}';
    const texts = (events: readonly ToolParseEvent[]): string => events.map((event) => (event.type === "text" ? event.text : "")).join("");
    expect(texts(parser.feed(example))).toBe("Here is the call:\n");
    expect(texts(parser.feed("\nIt deletes"))).toBe(`${example.slice("Here is the call:\n".length)}\nIt deletes`);
  });
});

describe("answers recorded from the real Qwen2.5-Coder-1.5B under Claude Code's prompts, through auto", () => {
  // With the options the proxy gives the parser for the entry's prompt (answer-context.ts).
  it.each(recordedQwenCoderCorpus.map((entry) => [entry.name, entry] as const))("%s: whole, every split, char by char", (_, entry) =>
    expectEverySplit("auto", entry.input, entry.expected, {
      toolNames: entry.toolNames,
      ...(asksToSeeACall({ messages: [{ role: "user", content: entry.prompt }] }) ? { ownMarkupOnly: true } : {}),
    }),
  );

  it("runs no call where the user asked to be shown or told", () => {
    const quoted = recordedQwenCoderCorpus.filter((entry) => entry.asked === "text");
    expect(quoted.length).toBeGreaterThan(0);
    for (const entry of quoted)
      expect(
        entry.expected.filter((event) => event.type === "tool_call"),
        entry.name,
      ).toEqual([]);
  });
});

describe("ownMarkupOnly: only a family's own markup is read (the user asked to be shown a call)", () => {
  const fencedCalls = fencedJsonCorpus.filter((entry) => entry.expected.some((event) => event.type !== "text"));
  const wrapped = '<tools>\n{"name": "Read", "arguments": {"file_path": "/a"}}\n</tools>';
  const own = '<tool_call>\n{"name": "Read", "arguments": {"file_path": "/a"}}\n</tool_call>';

  it.each(["auto", "hermes", "qwen3-coder"] as const)("%s: a JSON object filling a fence is text, every split", (format) => {
    expect(fencedCalls.length).toBeGreaterThan(5);
    for (const entry of fencedCalls) expectEverySplit(format, entry.input, [text(entry.input)], { toolNames: entry.toolNames, ownMarkupOnly: true });
  });

  it.each(["auto", "hermes"] as const)("%s: a call in another wrapper tag is text, Hermes' own <tool_call> still a call", (format) => {
    expectEverySplit(format, `Like this:\n${wrapped}`, [text(`Like this:\n${wrapped}`)], { toolNames: ["Read"], ownMarkupOnly: true });
    expectEverySplit(format, own, [call("Read", { file_path: "/a" }, own, false)], { toolNames: ["Read"], ownMarkupOnly: true });
  });

  it("auto: bare JSON and a pythonic list at the start are text", () => {
    for (const input of ['{"name": "Read", "arguments": {"file_path": "/a"}}', '[Read(file_path="/a")]']) {
      expectEverySplit("auto", input, [text(input)], { toolNames: ["Read"], ownMarkupOnly: true });
    }
  });
});

describe("streaming behaviour", () => {
  it("releases text as soon as it cannot start a marker, holding back only a possible prefix", () => {
    const parser = createToolCallParser("hermes");
    expect(parser.feed("Hello <b> <tool")).toEqual([text("Hello <b> ")]);
    expect(parser.feed('_call>\n{"name": "Read", ')).toEqual([]);
    expect(parser.feed('"arguments": {"file_path": "/a"}}\n</tool_call>more')).toEqual([
      call("Read", { file_path: "/a" }, '<tool_call>\n{"name": "Read", "arguments": {"file_path": "/a"}}\n</tool_call>', false),
      text("more"),
    ]);
    expect(parser.end()).toEqual([]);
  });

  it("emits held-back text when it turns out not to be a marker", () => {
    const parser = createToolCallParser("kimi-k2");
    expect(parser.feed("a <|tool")).toEqual([text("a ")]);
    expect(parser.feed("s|> b")).toEqual([text("<|tools|> b")]);
  });

  it("flushes a held-back partial marker at the end", () => {
    const parser = createToolCallParser("mistral");
    expect(parser.feed("see [TOOL")).toEqual([text("see ")]);
    expect(parser.end()).toEqual([text("[TOOL")]);
  });

  it("never splits a surrogate pair across text events", () => {
    const parser = createToolCallParser("mallex-xml");
    const smile = "😀";
    expect(parser.feed(`ab${smile.charAt(0)}`)).toEqual([text("ab")]);
    expect(parser.feed(smile.charAt(1))).toEqual([text(smile)]);
  });

  it("emits a call as soon as its end marker arrives, before the output ends", () => {
    const parser = createToolCallParser("glm45");
    const raw = "<tool_call>Bash<arg_key>command</arg_key><arg_value>pwd</arg_value></tool_call>";
    expect(parser.feed(raw)).toEqual([call("Bash", { command: "pwd" }, raw, true)]);
  });

  it("keeps the calls of end-marker-less formats until the end", () => {
    const parser = createToolCallParser("mistral");
    expect(parser.feed('[TOOL_CALLS]Read[ARGS]{"file_path": "/a"}')).toEqual([]);
    expect(parser.end()).toEqual([call("Read", { file_path: "/a" }, '[TOOL_CALLS]Read[ARGS]{"file_path": "/a"}', false)]);
  });

  it("gives each response its own state", () => {
    const first = createToolCallParser("hermes");
    const second = createToolCallParser("hermes");
    first.feed("<tool_call>{");
    expect(second.feed("hi")).toEqual([text("hi")]);
  });

  it("stays linear on a large call fed one character at a time", () => {
    const content = "line <a> & </b> ü 😀\n".repeat(5000);
    const raw = `<function_calls><invoke name="Write"><parameter name="content">${content}</parameter></invoke></function_calls>`;
    const parser = createToolCallParser("mallex-xml");
    const started = performance.now();
    const events = [...raw.split("").flatMap((char) => parser.feed(char)), ...parser.end()];
    // Re-searching the whole buffer on every chunk took ~15 s here; linear scanning takes ~0.1 s.
    expect(performance.now() - started).toBeLessThan(3000);
    expect(events).toEqual([call("Write", { content }, raw, true)]);
  });

  it("rejects an unknown format with a clear error", () => {
    expect(() => createToolCallParser("nope" as ToolCallFormat)).toThrow('Unknown tool call format "nope"');
  });
});
