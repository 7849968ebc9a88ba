/**
 * Every family's corpus through the real CLI with the shipped config and `--backend-url`: what a
 * user gets who points mallex at LM Studio, Ollama or llama-server running any model. The server
 * leaks the model's tool-call markup as content, cut into chunks of every size; what comes back
 * must be the tool_use blocks the parser corpus expects, with no markup in any text.
 */
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ToolParseEvent } from "../src/tools/parsers/index.js";
import { formatInvalidCallNote } from "../src/translate/tool-calls/resolve-tool-call.js";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { parseSSE } from "./fakes/read-sse.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import type { CorpusEntry } from "./unit/tool-parser-corpus/corpus-entry.js";
import { TEXT_IN_AUTO } from "./unit/tool-parser-corpus/text-in-auto.js";
import { splitText as chunked } from "./helpers/split-text.js";
import { caseApplies, positionCases, TOOL_NAMES } from "./unit/tool-parser-corpus/call-positions.js";

const CORPUS_DIR = new URL("./unit/tool-parser-corpus/", import.meta.url);

/** Every `…Corpus` array the corpus folder exports, by family file. */
async function loadCorpora(): Promise<Array<[string, readonly CorpusEntry[]]>> {
  const files = readdirSync(CORPUS_DIR).filter((file) => file.endsWith(".ts") && file !== "corpus-entry.ts");
  const corpora: Array<[string, readonly CorpusEntry[]]> = [];
  for (const file of files.sort()) {
    const module = (await import(new URL(file, CORPUS_DIR).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(module)) {
      if (name.endsWith("Corpus") && Array.isArray(value)) corpora.push([file.replace(/\.ts$/, ""), value as CorpusEntry[]]);
    }
  }
  return corpora;
}

/** The tool a call's name resolves to: OpenAI's `functions.` namespace off, then any case. */
function toolName(name: string, tools: readonly string[] = []): string {
  const bare = name.replace(/^functions\./, "");
  return tools.find((tool) => tool.toLowerCase() === bare.toLowerCase()) ?? bare;
}

type Shape = { text: string } | { call: string; input: unknown };

/** Adjacent texts joined and whitespace folded: block boundaries and leading newlines may move, calls may not. */
function normalize(parts: Shape[]): Shape[] {
  const out: Shape[] = [];
  for (const part of parts) {
    const last = out.at(-1);
    // A block boundary may eat newlines (mallex drops them at a block's start): it counts as a space.
    if ("text" in part && last !== undefined && "text" in last) last.text += ` ${part.text}`;
    else out.push("text" in part ? { text: part.text } : part);
  }
  return out.map((part) => ("text" in part ? { text: part.text.replace(/\s+/g, " ").trim() } : part)).filter((part) => !("text" in part) || part.text !== "");
}

/** What the client must see for a corpus entry: calls as tool_use, broken calls as the note. */
function expectedShape(events: readonly ToolParseEvent[], tools: readonly string[]): Shape[] {
  // The same call again in one answer runs once (assemble-content-blocks.ts): the parser reads each, the proxy drops the copy.
  const made = new Set<string>();
  return normalize(
    events.flatMap((event): Shape[] => {
      switch (event.type) {
        case "text":
          return [{ text: event.text }];
        case "tool_call": {
          const shape = { call: toolName(event.call.name, tools), input: event.call.arguments };
          const key = JSON.stringify(shape);
          if (made.has(key)) return [];
          made.add(key);
          return [shape];
        }
        case "invalid_call":
          return [{ text: formatInvalidCallNote(event.reason, event.raw) }];
      }
    }),
  );
}

interface Block {
  type: string;
  text?: string;
  name?: string;
  input?: unknown;
}

function responseShape(content: Block[]): Shape[] {
  return normalize(content.map((block): Shape => (block.type === "tool_use" ? { call: block.name!, input: block.input } : { text: block.text ?? "" })));
}

/** Scripts the backend's answer to `key` as these pieces, and asks the proxy for it. */
function ask(key: string, pieces: string[], stream: boolean, tools: readonly unknown[], maxTokens = 4096, through?: MallexProxyProcess): Promise<Response> {
  scripted.set(key, pieces);
  return fetch(`${(through ?? proxy).url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: maxTokens, stream, messages: [{ role: "user", content: key }], tools }),
  });
}

/** The answer's content and stop reason, from the stream (folded) or the whole message. */
async function readAnswer(response: Response, stream: boolean): Promise<{ content: Block[]; stopReason: string | undefined }> {
  if (stream) {
    const body = await response.text();
    return { content: foldStream(body), stopReason: /"stop_reason":"(\w+)"/.exec(body)?.[1] };
  }
  const message = (await response.json()) as { content: Block[]; stop_reason: string };
  return { content: message.content, stopReason: message.stop_reason };
}

/** The content a stream builds, folded the way the SDK's MessageStream does. */
function foldStream(body: string): Block[] {
  const blocks: Block[] = [];
  const json = new Map<number, string>();
  for (const event of parseSSE(body)) {
    if (event.comment !== undefined) continue;
    const data = JSON.parse(event.data);
    if (data.type === "error") throw new Error(`stream error: ${JSON.stringify(data.error)}`);
    if (data.type === "content_block_start") blocks[data.index] = { ...data.content_block };
    if (data.type === "content_block_delta" && data.delta.type === "text_delta") blocks[data.index]!.text += data.delta.text;
    if (data.type === "content_block_delta" && data.delta.type === "input_json_delta")
      json.set(data.index, (json.get(data.index) ?? "") + data.delta.partial_json);
    if (data.type === "content_block_stop" && json.has(data.index)) blocks[data.index]!.input = JSON.parse(json.get(data.index)!);
  }
  return blocks;
}

const corpora = await loadCorpora();
const MARKERS =
  /<tool_call>|<\/tool_call>|<function=|<invoke name=|<\|python_tag\|>|\[TOOL_CALLS\]|<arg_key>|<｜tool▁call|<\|tool_call|<minimax:tool_call>|<seed:tool_call>|<\|call\|>|<\|channel\|>/;

let mlx: FakeMlxServer;
let proxy: MallexProxyProcess;
/** The same backend through a profile with `trim: false`: answers recorded untrimmed are read as they were asked. */
let untrimmedProxy: MallexProxyProcess;
const UNTRIMMED_CONFIG = `backends:
  local: { kind: openai, flavor: mlx-lm, base_url: "http://127.0.0.1:1/v1" }
profiles:
  coder: { backend: local, model: recorded, size: small, trim: false, tools: { mode: native } }
tiers:
  medium: { profile: coder }
`;
/** The chunks the fake server streams for a request, keyed by its user message. */
const scripted = new Map<string, string[]>();

beforeAll(async () => {
  mlx = await createFakeMlxServer({
    respond: (request) => {
      const messages = (request.body as { messages: Array<{ role: string; content: unknown }> }).messages;
      const key = String(messages.findLast((message) => message.role === "user")?.content);
      const chunks = scripted.get(key.trim());
      return chunks === undefined ? undefined : { text: chunks };
    },
  });
  const dir = mkdtempSync(join(tmpdir(), "mallex-corpus-untrimmed-"));
  writeFileSync(join(dir, "mallex.yaml"), UNTRIMMED_CONFIG);
  [proxy, untrimmedProxy] = await Promise.all([
    startProxyProcess(["--backend-url", mlx.url]),
    startProxyProcess(["--config", join(dir, "mallex.yaml"), "--backend-url", mlx.url]),
  ]);
}, 30_000);
afterAll(async () => {
  await proxy?.stop();
  await untrimmedProxy?.stop();
  await mlx?.close();
});

/**
 * Entries whose text the parser leaves alone and the translation cleans: an end-of-turn token that
 * ends the answer, outside code, is not part of it (src/translate/model-text/strip-control-tokens.ts), whichever
 * family wrote it; one named inside a sentence stays.
 */
const CLEANED_IN_TRANSLATION: Readonly<Record<string, string>> = {
  "auto: a stray harmony end token before any family is text": "Done.",
};

// The shipped config's auto reads fences as code: Gemma 3's tool_code calls need `tools.format: gemma3`.
describe.each(corpora.filter(([family]) => family !== "gemma3"))("%s corpus through `mallex proxy --backend-url` and the shipped config", (family, entries) => {
  it.each(entries.map((entry) => [entry.name, entry] as const))("%s", async (name, entry) => {
    // The request's tools: what the entry was written for, else the tools it calls, and always some
    // tool: without any, mallex rightly leaves the text alone (no call could be valid).
    const calls = entry.expected.flatMap((event) => (event.type === "tool_call" ? [toolName(event.call.name)] : []));
    const names = (entry as { toolNames?: readonly string[] }).toolNames ?? [...calls, "get_time"];
    const tools = [...new Set(names)].map((tool) => ({ name: tool, description: `The ${tool} tool.`, input_schema: { type: "object" } }));
    // Where auto deliberately reads a family's entry as plain text (see text-in-auto.ts).
    const cleaned = CLEANED_IN_TRANSLATION[`${family}: ${name}`];
    const expected =
      cleaned !== undefined
        ? [{ text: cleaned.replace(/\s+/g, " ").trim() }]
        : TEXT_IN_AUTO.has(`${family}: ${name}`)
          ? [{ text: entry.input.replace(/\s+/g, " ").trim() }]
          : expectedShape(entry.expected, names);
    const splits = ["whole", "char", 1, 2, 3] as const;
    for (const [attempt, split] of [[false, "whole"] as const, ...splits.map((s) => [true, s] as const)].entries()) {
      const [stream, how] = split;
      // A recorded answer is asked for with its user's prompt: the proxy reads it (asks-to-see-a-call.ts).
      const prompt = (entry as { prompt?: string }).prompt;
      const key = `${prompt === undefined ? "" : `${prompt}\n\n`}${family} · ${name} · ${attempt}`;
      const untrimmed = (entry as { mode?: string }).mode === "untrimmed";
      const response = await ask(key, chunked(entry.input, how), stream, tools, 4096, untrimmed ? untrimmedProxy : undefined);
      expect(response.status, key).toBe(200);
      const { content } = await readAnswer(response, stream);
      const got = responseShape(content);
      expect(got, `${key} (split: ${String(how)})`).toEqual(expected);
      // Markup reaches the client only inside a note that says the call was not run, or where the
      // corpus says the text is just text (prose that mentions a tag).
      for (const part of got) {
        if ("text" in part && MARKERS.test(part.text) && !part.text.includes("[mallex: the model wrote a tool call")) {
          expect(expected, `${key}: markup leaked`).toContainEqual(part);
        }
      }
    }
  });
});

describe("calls mallex cannot run come back as readable text through `mallex proxy --backend-url`", () => {
  const ticket = {
    name: "lookup_ticket",
    description: "Looks up a ticket.",
    input_schema: { type: "object", properties: { id: { type: "integer" } }, required: ["id"] },
  };
  const cases = [
    {
      name: "a call to a tool the request does not have",
      input: 'Let me check.<tool_call>{"name": "delete_repo", "arguments": {"repo": "x"}}</tool_call>',
      note: '[mallex: the model wrote a tool call that was not run: Tool "delete_repo" does not exist; the available tools are lookup_ticket]\n<tool_call>{"name": "delete_repo", "arguments": {"repo": "x"}}</tool_call>',
    },
    {
      name: "a call whose input fails the tool's schema",
      input: '<minimax:tool_call>\n<invoke name="lookup_ticket">\n<parameter name="id">forty-two</parameter>\n</invoke>\n</minimax:tool_call>',
      note: '[mallex: the model wrote a tool call that was not run: Tool call to "lookup_ticket"',
    },
  ];
  it.each(cases.map((c) => [c.name, c] as const))("%s", async (name, { input, note }) => {
    for (const [attempt, stream] of [false, true].entries()) {
      const key = `unrunnable · ${name} · ${attempt}`;
      const { content } = await readAnswer(await ask(key, chunked(input, stream ? "char" : "whole"), stream, [ticket]), stream);
      expect(
        content.map((block) => block.type),
        key,
      ).not.toContain("tool_use");
      expect(content.map((block) => block.text ?? "").join(""), key).toContain(note);
    }
  });
});

describe("issue 23 contract: quoted calls come back as the exact text through `mallex proxy --backend-url`", () => {
  // The shipped config reads with auto.
  const cases = positionCases().filter((entry) => caseApplies(entry, "auto"));
  const tools = TOOL_NAMES.map((tool) => ({ name: tool, description: `The ${tool} tool.`, input_schema: { type: "object" } }));
  it.each(cases.map((entry) => [`${entry.family}: ${entry.kind}`, entry] as const))("%s", async (_, entry) => {
    for (const [attempt, [stream, how]] of (
      [
        [false, "whole"],
        [true, "char"],
        [true, 7],
      ] as const
    ).entries()) {
      const key = `positions · ${entry.family} · ${entry.kind} · ${attempt}`;
      const response = await ask(key, chunked(entry.input, how), stream, tools);
      expect(response.status, key).toBe(200);
      const { content, stopReason } = await readAnswer(response, stream);
      if (entry.negative) {
        expect(stopReason, key).toBe("end_turn");
        expect(
          content.map((block) => block.type),
          key,
        ).toEqual(["text"]);
        // Unchanged: the exact text, no note (leading newlines aside, which mallex drops at a block start).
        expect(content[0]?.text, key).toBe(entry.input.replace(/^[\r\n]+/, ""));
      } else {
        expect(stopReason, key).toBe("tool_use");
        const calls = content.filter((block) => block.type === "tool_use").map((block) => block.name);
        expect(calls, key).toEqual(entry.expected.flatMap((event) => (event.type === "tool_call" ? [event.call.name] : [])));
      }
    }
  });
});

describe("short answers stream through `mallex proxy --backend-url`: nothing waits that cannot become a call", () => {
  it("sends a prose answer that quotes markers token by token, not in one burst at the end", async () => {
    const tokens = ["Sure", ":", " the", " `<tool_call>`", " tag", " wraps", " a", " call", ",", " and", " <b>", "bold", "</b>", " is", " HTML", "."];
    const key = "streaming · short answer";
    const tools = TOOL_NAMES.map((tool) => ({ name: tool, description: `The ${tool} tool.`, input_schema: { type: "object" } }));
    const response = await ask(key, tokens, true, tools, 256);
    const deltas = parseSSE(await response.text())
      .filter((event) => event.comment === undefined)
      .map((event) => JSON.parse(event.data) as { type: string; delta?: { type: string; text?: string } })
      .filter((event) => event.type === "content_block_delta" && event.delta?.type === "text_delta")
      .map((event) => event.delta?.text ?? "");
    expect(deltas.join("")).toBe(tokens.join(""));
    // One delta per backend token, give or take the few characters held while a `<` might open a marker.
    expect(deltas.length).toBeGreaterThanOrEqual(tokens.length - 3);
  });
});
