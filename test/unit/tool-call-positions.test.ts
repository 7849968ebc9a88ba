/**
 * Issue 23: a call is a call only where the model's own format puts one. Every family, every
 * position, whole, in seeded random chunks and one character at a time, through the family's own
 * parser and through `auto` (the default).
 */
import { describe, expect, it } from "vitest";
import { createToolCallParser, type ToolCallFormat } from "../../src/tools/parsers/index.js";
import { markupFor } from "../../src/translate/model-text/family-markup.js";
import { createReasoningSplitter } from "../../src/translate/model-text/split-think-tags.js";
import { splitText as split } from "../helpers/split-text.js";
import { caseApplies, positionCases, reasoningCases, shapeOf, strayClosers, TOOL_NAMES, WEATHER, WRITERS } from "./tool-parser-corpus/call-positions.js";

const SPLITS = ["whole", "char", 1, 2, 3, 4, 5] as const;
const cases = positionCases();

describe.each(["family", "auto"] as const)("call positions through the %s parser", (through) => {
  it.each(cases.filter((entry) => caseApplies(entry, through)).map((entry) => [`${entry.family}: ${entry.kind}`, entry] as const))("%s", (_, entry) => {
    for (const how of SPLITS) {
      const parser = createToolCallParser(through === "auto" ? "auto" : (entry.family as ToolCallFormat), { toolNames: TOOL_NAMES });
      const events = [...split(entry.input, how).flatMap((chunk) => parser.feed(chunk)), ...parser.end()];
      expect(shapeOf(events), `split: ${String(how)}`).toEqual(entry.expected);
    }
  });
});

// The other side of "a fenced call that ends the answer is run": the same fence, introduced as an
// example (what a user asking how the format looks gets), is quoted, in every family. Running it could
// do anything the example does (rm -rf build).
describe.each(["family", "auto"] as const)("a fenced call introduced as an example, through the %s parser", (through) => {
  const intros = ["Here is an example of what such a tool call looks like:\n\n", "For instance:\n", "A reply in this format would be:\n"];
  const families = (Object.keys(WRITERS) as ToolCallFormat[]).filter((family) =>
    caseApplies({ family, kind: "call in a fence that ends the answer", negative: false }, through),
  );
  it.each(families)("%s: the exact text, no call", (family) => {
    for (const intro of intros) {
      const input = `${intro}\`\`\`\n${WRITERS[family].write([WEATHER])}\n\`\`\`\n`;
      for (const how of SPLITS) {
        const parser = createToolCallParser(through === "auto" ? "auto" : family, { toolNames: TOOL_NAMES });
        const events = [...split(input, how).flatMap((chunk) => parser.feed(chunk)), ...parser.end()];
        expect(shapeOf(events), `${JSON.stringify(intro)}, split: ${String(how)}`).toEqual([{ type: "text", text: input }]);
      }
    }
  });
});

// Issue 36: a call the model weighs in its reasoning and closes its thoughts on is the reasoning's,
// in every family; one after the close is the answer's. Reasoning is split out first, as the
// translation does (assemble-content-blocks.ts), then calls are read from what is left.
describe.each(["family", "auto"] as const)("calls and <think> through the %s parser", (through) => {
  const entries = reasoningCases().filter((entry) => caseApplies(entry, through));
  it.each(entries.map((entry) => [`${entry.family}: ${entry.kind}`, entry] as const))("%s", (_, entry) => {
    const format = through === "auto" ? "auto" : entry.family;
    for (const how of SPLITS) {
      const splitter = createReasoningSplitter(markupFor(format).reasoning);
      const parser = createToolCallParser(format, { toolNames: TOOL_NAMES });
      const events: Array<ReturnType<typeof shapeOf>[number] | { type: "reasoning"; text: string }> = [];
      const take = (parts: ReturnType<typeof splitter.feed>): void => {
        for (const part of parts) {
          if (part.kind === "reasoning") events.push({ type: "reasoning", text: part.text });
          else events.push(...shapeOf(parser.feed(part.text)));
        }
      };
      for (const chunk of split(entry.input, how)) take(splitter.feed(chunk));
      take(splitter.end());
      events.push(...shapeOf(parser.end()));
      expect(mergeEvents(events), `split: ${String(how)}`).toEqual(entry.expected);
    }
  });
});

function mergeEvents<T extends { type: string; text?: string }>(events: readonly T[]): T[] {
  const merged: T[] = [];
  for (const event of events) {
    const last = merged.at(-1);
    if (last !== undefined && last.type === event.type && "text" in last && "text" in event && event.type !== "tool_call")
      merged[merged.length - 1] = { ...last, text: `${last.text ?? ""}${event.text ?? ""}` };
    else merged.push(event);
  }
  return merged;
}

describe("the matrix", () => {
  it("covers every family in every kind", () => {
    const kinds = new Set(cases.map((entry) => entry.kind));
    const families = new Set(cases.map((entry) => entry.family));
    const stray = (kind: string): boolean => kind.startsWith("call then a stray ");
    expect(families.size).toBe(24);
    // Every kind in every family but the stray closers, which are the 3 generic ones and the family's own.
    const common = [...kinds].filter((kind) => !stray(kind));
    expect(cases.filter((entry) => !stray(entry.kind)).length).toBe(common.length * families.size);
    for (const family of families) {
      const own = strayClosers(family, WRITERS[family]);
      expect(cases.filter((entry) => entry.family === family && stray(entry.kind)).map((entry) => entry.kind)).toEqual(
        own.map((closer) => `call then a stray ${closer}`),
      );
    }
    expect(cases.filter((entry) => entry.negative).length).toBe(8 * 24);
    expect(reasoningCases().length).toBe(2 * 24);
  });
});

describe("hold-back: text waits only while it could still become a call", () => {
  const texts = (events: ReturnType<ReturnType<typeof createToolCallParser>["feed"]>): string =>
    events.map((event) => (event.type === "text" ? event.text : "")).join("");

  it("releases a marker named mid-sentence as soon as its body stops opening a call", () => {
    const parser = createToolCallParser("minimax-m2");
    expect(texts(parser.feed("The <minimax:tool_call>"))).toBe("The ");
    // One character that cannot open `<invoke` settles it, long before any end marker.
    expect(texts(parser.feed(" m"))).toBe("<minimax:tool_call> m");
    expect(texts(parser.feed("arker is how calls open."))).toBe("arker is how calls open.");
    expect(parser.end()).toEqual([]);
  });

  it("holds a fence's opening line only until its first content shows whether a call fills it", () => {
    const parser = createToolCallParser("auto", { toolNames: TOOL_NAMES });
    expect(texts(parser.feed("Code:\n```ts\n"))).toBe("Code:\n");
    expect(texts(parser.feed("const a = 1;"))).toBe("```ts\nconst a = 1;");
  });

  it("drops the fences of a call that fills a fence at the end of the answer", () => {
    const parser = createToolCallParser("hermes");
    const events = [
      ...parser.feed('Running it:\n```json\n<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>\n```\n'),
      ...parser.end(),
    ];
    expect(shapeOf(events)).toEqual([
      { type: "text", text: "Running it:\n" },
      { type: "tool_call", call: { name: "get_weather", arguments: { city: "Paris" }, untyped: false } },
    ]);
  });

  it("holds a mid-sentence call until its line ends, then lets it go as a call", () => {
    const parser = createToolCallParser("hermes");
    const call = '<tool_call>{"name": "get_weather", "arguments": {"city": "Paris"}}</tool_call>';
    expect(shapeOf(parser.feed(`I will check ${call}`))).toEqual([{ type: "text", text: "I will check " }]);
    expect(shapeOf(parser.feed("\nDone."))).toEqual([
      { type: "tool_call", call: { name: "get_weather", arguments: { city: "Paris" }, untyped: false } },
      { type: "text", text: "\nDone." },
    ]);
  });

  it("keeps the note for a broken call in call position, and none for the same call mid-sentence", () => {
    const broken = '<tool_call>{"name": "get_weather", "arguments": {"city": }}</tool_call>';
    const atLine = createToolCallParser("hermes");
    expect(shapeOf([...atLine.feed(`Checking.\n${broken}`), ...atLine.end()])).toEqual([
      { type: "text", text: "Checking.\n" },
      { type: "invalid_call", reason: "the tool call is not valid JSON" },
    ]);
    const inSentence = createToolCallParser("hermes");
    const sentence = `A reply like ${broken} is malformed.`;
    expect(shapeOf([...inSentence.feed(sentence), ...inSentence.end()])).toEqual([{ type: "text", text: sentence }]);
  });

  it("releases a JSON code block at its first key when it names no requested tool", () => {
    const parser = createToolCallParser("hermes", { toolNames: TOOL_NAMES });
    expect(texts(parser.feed('Config:\n```json\n{\n  "name": "my-'))).toBe("Config:\n");
    expect(texts(parser.feed('app",'))).toBe('```json\n{\n  "name": "my-app",');
    expect(texts(parser.feed('\n  "version": "1.0.0"'))).toBe('\n  "version": "1.0.0"');
  });

  it("streams a fence introduced as an example from its first content on", () => {
    const parser = createToolCallParser("auto", { toolNames: TOOL_NAMES });
    expect(texts(parser.feed("Here is an example:\n```json\n"))).toBe("Here is an example:\n");
    expect(texts(parser.feed('{"name": "get_weather"'))).toBe('```json\n{"name": "get_weather"');
  });

  it("holds a fenced JSON call only until the answer shows the fence ends it", () => {
    const parser = createToolCallParser("hermes", { toolNames: TOOL_NAMES });
    expect(texts(parser.feed('Checking:\n```json\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n```'))).toBe("Checking:\n");
    expect(shapeOf(parser.end())).toEqual([{ type: "tool_call", call: { name: "get_weather", arguments: { city: "Paris" }, untyped: false } }]);
    const quoted = createToolCallParser("hermes", { toolNames: TOOL_NAMES });
    quoted.feed('```json\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n```');
    expect(texts(quoted.feed("\nThat is the shape."))).toBe('```json\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n```\nThat is the shape.');
  });

  // Quadratic rescanning took minutes here; the test's own timeout is the guard, not a timing assertion.
  it("stays linear on markers named over and over in a configured family", () => {
    const input = "<minimax:tool_call> word ".repeat(20000);
    const parser = createToolCallParser("minimax-m2");
    expect(shapeOf([...parser.feed(input), ...parser.end()])).toEqual([{ type: "text", text: input }]);
  });
});
