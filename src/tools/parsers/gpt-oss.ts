/**
 * gpt-oss (OpenAI harmony) as it leaks into content when the server does not parse it:
 *   <|channel|>analysis<|message|>…<|end|><|start|>assistant<|channel|>final<|message|>Answer<|return|>
 *   <|channel|>commentary to=functions.NAME <|constrain|>json<|message|>{…}<|call|>
 * and the recipient may sit in the header instead: `<|start|>assistant to=functions.NAME<|channel|>…`.
 *
 * Choice: control tokens never reach the user. Final and commentary (preamble) text is kept as text;
 * the analysis channel is the model's reasoning: at the answer's start the translation splits it out
 * as thinking before this parser runs (src/translate/model-text/family-markup.ts); one later in the answer
 * reaches this layer, which cannot emit thinking, and is dropped (llama.cpp keeps it out of content too).
 *
 * Every harmony token ends in `|>`, so a message is one block whose end is the `|>` that closes the
 * right token: `<|message|>` for a plain header (its text then streams), `<|call|>` (or `<|end|>`)
 * after a call's JSON, `<|end|>` after reasoning.
 *
 * A server that skips special tokens when it detokenizes (oobabooga#7374: `analysisUser says
 * "Hello World!"…assistantfinalHello!`) leaves the words between them run together:
 *   analysis…assistantcommentary to=functions.NAME json{…}
 * A call is still plain to read there: `commentary to=functions.` (or `assistant to=functions.` with
 * the recipient in the header, its channel's name then glued to the tool's) can only be the header,
 * and the JSON after the tool's name is the call's. The server stops at the call's end, so the block
 * runs to the end of the output. The reasoning before it is the translation's to split (a declared
 * gpt-oss reads `analysis` at the answer's start as its reasoning; auto cannot tell it from the word).
 */
import { invalidCall, jsonArgumentsCall } from "./internal/build-call-events.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock, ScannedBlock } from "./internal/marker-scanner.js";
import { endsInsideJsonString, findJsonEnd } from "./internal/scan-json.js";
import { SPACE } from "./internal/match-head.js";
import type { ToolCallTextParser, ToolParseEvent } from "./types.js";

const MESSAGE = "<|message|>";
const RECIPIENT = /\bto=([^\s<]+)/;
const CHANNEL_NAME = /<\|channel\|>\s*([\w-]*)/;
/** Tokens that end a message's content (without their `|>`, which is the block's end marker). */
const CONTENT_END = /<\|(?:call|end|return)$/;

interface Header {
  readonly recipient: string | null;
  readonly channel: string;
}

function readHeader(block: CallBlock, header: string): Header {
  // The CHANNEL block's own marker is not in its body: put it back so one pattern reads both forms.
  const text = block === CHANNEL ? `<|channel|>${header}` : header;
  return {
    recipient: RECIPIENT.exec(text)?.[1] ?? null,
    channel: CHANNEL_NAME.exec(text)?.[1] ?? "",
  };
}

/** Where a message block ends; `body` runs up to (not including) a candidate `|>`. */
function acceptsEnd(block: CallBlock, body: string): boolean {
  const messageAt = body.indexOf(MESSAGE);
  if (messageAt === -1) {
    if (!body.endsWith("<|message")) return false;
    const header = readHeader(block, body.slice(0, -"<|message".length));
    return header.recipient === null && header.channel !== "analysis";
  }
  if (!CONTENT_END.test(body)) return false;
  const header = readHeader(block, body.slice(0, messageAt));
  const content = body.slice(messageAt + MESSAGE.length).replace(CONTENT_END, "");
  return header.recipient === null || !endsInsideJsonString(content);
}

// A header names a role or a channel right after its token; prose that mentions `<|channel|>` does not.
const HEADER_HEAD = ["assistant", "analysis", "commentary", "final"].map((word) => [SPACE, word]);
const START: CallBlock = {
  start: "<|start|>",
  end: "|>",
  acceptsEnd: (body) => acceptsEnd(START, body),
  head: HEADER_HEAD,
};
const CHANNEL: CallBlock = {
  start: "<|channel|>",
  end: "|>",
  acceptsEnd: (body) => acceptsEnd(CHANNEL, body),
  head: HEADER_HEAD,
};
// Stray end-of-message tokens after final text: stripped like the rest of the markup.
const TOKENS: readonly CallBlock[] = ["<|end|>", "<|return|>", "<|call|>"].map((start) => ({
  start,
  end: "",
}));

/** Special tokens stripped: the header words glued, the recipient's name, then `json` (the constraint) and the JSON. */
const STRIPPED_CALL = /^([^\s{<]+)(?:\s+json)?\s*(?=\{)/;
/** The recipient in the header: the channel's name follows the tool's with nothing between. */
const STRIPPED_HEADER_CALL = /^([^\s{<]+?)commentary(?:\s+json)?\s*(?=\{)/;

const strippedBlock = (start: string): CallBlock => ({
  start: `${start}to=functions.`,
  end: null,
  head: [
    [/[^\s{<]+/y, SPACE, "json", SPACE, "{"],
    [/[^\s{<]+/y, SPACE, "{"],
  ],
});
// After reasoning (`<|end|><|start|>assistant<|channel|>commentary …`), at the output's start, and with the recipient in the header.
const STRIPPED_CHANNEL = [strippedBlock("assistantcommentary "), strippedBlock("commentary ")];
const STRIPPED_HEADER = strippedBlock("assistant ");
const isStripped = (block: CallBlock): boolean => STRIPPED_CHANNEL.includes(block) || block === STRIPPED_HEADER;

/** The name and where its JSON starts, in the body of a call whose special tokens were stripped. */
const readStrippedHead = (block: CallBlock, body: string): RegExpExecArray | null =>
  (block === STRIPPED_HEADER ? STRIPPED_HEADER_CALL : STRIPPED_CALL).exec(body);

function parseStripped(scanned: ScannedBlock): ToolParseEvent[] {
  const { block, body, raw } = scanned;
  const head = readStrippedHead(block, body);
  if (head === null) return [invalidCall(raw, "the tool call is cut off")];
  const jsonStart = head[0].length;
  const jsonEnd = findJsonEnd(body, jsonStart);
  // Cut off inside the JSON: whole if only its closers are missing.
  if (jsonEnd === -1) return [jsonArgumentsCall(head[1] ?? "", body.slice(jsonStart), raw, { cutOff: true })];
  const rest = body.slice(jsonEnd);
  const callRaw = rest.trim() === "" ? raw : raw.slice(0, raw.length - rest.length);
  const call = jsonArgumentsCall(head[1] ?? "", body.slice(jsonStart, jsonEnd), callRaw);
  return rest.trim() === "" ? [call] : [call, { type: "text", text: rest }];
}

function parseGptOss(scanned: ScannedBlock): ToolParseEvent[] {
  const { block, raw } = scanned;
  if (TOKENS.includes(block)) return [];
  if (isStripped(block)) return parseStripped(scanned);
  // A terminated block's body stops before its last `|>`; put it back to read the whole message.
  const body = scanned.terminated ? `${scanned.body}|>` : scanned.body;
  const messageAt = body.indexOf(MESSAGE);
  const header = readHeader(block, messageAt === -1 ? body : body.slice(0, messageAt));
  if (messageAt === -1) {
    // A header the output ended in: a call cut short, or words that only mention a token.
    return header.recipient === null ? [{ type: "text", text: raw }] : [invalidCall(raw, "the tool call is cut off")];
  }
  if (header.recipient === null) return [];
  const name = header.recipient.replace(/^functions\./, "");
  const content = body.slice(messageAt + MESSAGE.length).replace(/<\|(?:call|end|return)\|>$/, "");
  return [jsonArgumentsCall(name, content, raw, { cutOff: !scanned.terminated })];
}

// A header names a role or a channel right after its token; prose that mentions `<|channel|>` does not.
const HEADER_SHAPE = /^\s*(?:assistant|analysis|commentary|final)\b/;

export const gptOssSpec: FamilySpec = {
  blocks: [START, CHANNEL, ...TOKENS, ...STRIPPED_CHANNEL, STRIPPED_HEADER],
  parse: parseGptOss,
  callShaped: (block, body) => TOKENS.includes(block) || (isStripped(block) ? readStrippedHead(block, body) !== null : HEADER_SHAPE.test(body)),
  picksFamily: (block) => block === START || block === CHANNEL || isStripped(block),
};

export function createGptOssParser(): ToolCallTextParser {
  return createMarkerScanner(gptOssSpec);
}
