import { measurePrompt } from "../router/describe-request.js";
import type { AnthropicContentBlock, MessagesRequest } from "../translate/anthropic-types.js";
import { estimateTokens } from "../translate/estimate-tokens.js";
import { shortenMiddle } from "./fit-to-budget.js";
import { fitContinuation } from "./fit-continuation.js";
import type { CompactionRequest } from "./recognize-compaction.js";
import { renderTranscript, type TranscriptEntry } from "./render-transcript.js";
import type { PromptSize } from "./trim-types.js";

/**
 * The system prompt of a compaction mallex rewrote: the model has one job, and Claude Code's own
 * prompt (its identity, its tools, its environment) would take room the conversation needs.
 */
export const COMPACTION_SYSTEM =
  "You write the summary from which a coding assistant (Claude Code) continues a session whose conversation outgrew the model's context. " +
  "The session so far is quoted between <conversation> tags; mallex shortened its oldest parts to fit. Answer in plain text only.";

/** Past this many characters a body is shortened first, oldest first: a turn's gist stays. */
const GIST_CHARS = 300;

export interface FittedCompaction {
  request: MessagesRequest;
  size: PromptSize;
}

/**
 * Claude Code's compaction request made to fit `budget` tokens, when its conversation no longer does:
 * the conversation becomes one quoted transcript (renderTranscript), followed by Claude Code's summary
 * instructions exactly as sent; tools and the system prompt give way to COMPACTION_SYSTEM. The
 * transcript is cut oldest first, each step only as far as needed: bodies shortened to their gist,
 * then to a marker, then the oldest entries dropped, then the newest entry shortened in the middle.
 * The newest turns are what Claude Code's summary is asked to keep most exactly, so they go last.
 * When Claude Code asks to go on with a summary the output limit cut (recognizeCompaction), the cut
 * summary and its requests to go on follow the instructions: as sent, or, given `continuationTailChars`
 * (a small context's), as one piece kept to its tail (fitContinuation) — three cut summaries and
 * Claude Code's requests to go on left the instructions no room at 4,096 tokens. The transcript gives
 * way to them: in a small context, from the compaction's first request on, so that it is the same
 * text, cached by the server, in each of them. (Claude Code takes its summary from the pieces it
 * received, not from this request.)
 *
 * Undefined when even the instructions (and such a continuation) with an empty transcript are over the budget.
 */
export function fitCompaction(
  request: MessagesRequest,
  compaction: CompactionRequest,
  budget: number,
  continuationTailChars?: number,
): FittedCompaction | undefined {
  const turn = request.messages[compaction.instructionMessage]!;
  const answerStart = compaction.instructionMessage + 1;
  const fittedPieces =
    continuationTailChars === undefined || answerStart >= request.messages.length
      ? undefined
      : fitContinuation(request.messages, { answerStart }, continuationTailChars);
  const continuation = (fittedPieces?.messages ?? request.messages).slice(answerStart);
  const blocks: AnthropicContentBlock[] = typeof turn.content === "string" ? [{ type: "text", text: turn.content }] : turn.content;
  const instruction = blocks[compaction.instructionBlock]!;
  const rest = blocks.filter((_, index) => index !== compaction.instructionBlock);
  const entries = renderTranscript([
    ...request.messages.slice(0, compaction.instructionMessage),
    ...(rest.length > 0 ? [{ role: turn.role, content: rest }] : []),
  ]);

  const build = (transcript: string, after = continuation): MessagesRequest => {
    const out: MessagesRequest = {
      ...request,
      system: COMPACTION_SYSTEM,
      messages: [{ role: "user", content: [{ type: "text", text: `<conversation>\n${transcript}\n</conversation>` }, instruction] }, ...after],
    };
    delete out.tools;
    delete out.tool_choice;
    return out;
  };
  const most = Math.floor(budget * 3.5);
  const bare = measurePrompt(build("", [])).chars;
  const continued = measurePrompt(build("")).chars - bare;
  // A small context's continuations are each at most one tail and one request to go on: the room for
  // them is kept from the compaction's first request on, so the transcript is cut the same in all of
  // them and the server prefills only what follows it (cut to the room left each time, the second
  // request read 138 of ~3,100 tokens from the cache). Never more than half the room.
  const kept =
    continuationTailChars === undefined ? continued : Math.max(continued, Math.min(continuationRoom(continuationTailChars), Math.floor((most - bare) / 2)));
  let room = most - bare - kept;
  // A body shortened by characters can still be over by its escapes (a tool call's quoted JSON): then again, that much shorter.
  for (let tries = 0; room >= 0 && tries < 4; tries++) {
    const fitted = build(fitTranscript(entries, room));
    const { chars } = measurePrompt(fitted);
    if (chars <= most) return { request: fitted, size: { chars, tokens: estimateTokens(chars) } };
    room -= chars - most;
  }
  return undefined;
}

/**
 * What a small context's request to go on with a cut summary adds to the compaction: its tail of at most
 * `tailChars` characters (a tenth more for escapes), Claude Code's ask (~190 characters in 2.1.197 to
 * 2.1.332) and the two messages' JSON.
 */
function continuationRoom(tailChars: number): number {
  return Math.ceil(tailChars * 1.1) + 600;
}

/** The entries as one text of at most `room` characters once JSON-escaped, cut as fitCompaction says. */
function fitTranscript(original: readonly TranscriptEntry[], room: number): string {
  const entries = [...original];
  const lengths = entries.map(entryLength);
  let total = lengths.reduce((sum, length) => sum + length + SEPARATOR, -SEPARATOR);
  const replace = (index: number, entry: TranscriptEntry) => {
    const length = entryLength(entry);
    total += length - lengths[index]!;
    entries[index] = entry;
    lengths[index] = length;
  };
  for (const limit of [GIST_CHARS, 0]) {
    for (let index = 0; index < entries.length && total > room; index++) {
      const entry = entries[index]!;
      if (entry.body.length > limit) replace(index, { head: entry.head, body: shortenMiddle(entry.body, limit) });
    }
  }
  // Still over: the oldest entries go whole, one marker standing for them.
  let dropped = 0;
  while (total > room && dropped < entries.length - 1) {
    total -= lengths[dropped]! + SEPARATOR;
    dropped++;
  }
  const kept = entries.slice(dropped);
  if (dropped > 0) {
    const marker = { head: `[… ${dropped} earlier part${dropped === 1 ? "" : "s"} of the conversation cut by mallex …]`, body: "" };
    kept.unshift(marker);
    total += entryLength(marker) + SEPARATOR;
  }
  // The newest entry alone is too long: its middle goes.
  const newest = kept.at(-1);
  if (total > room && newest !== undefined) {
    const over = total - room;
    kept[kept.length - 1] = { head: newest.head, body: shortenMiddle(newest.body, Math.max(0, escapedLength(newest.body) - over - MARKER_ROOM)) };
  }
  return kept.map(formatEntry).join("\n\n");
}

/** "\n\n" between entries, as JSON writes it. */
const SEPARATOR = 4;
/** shortenMiddle's marker, once escaped: "\n[… 1234567 chars cut by mallex …]\n". */
const MARKER_ROOM = 48;

function formatEntry(entry: TranscriptEntry): string {
  return entry.body === "" ? entry.head : `${entry.head}\n${entry.body}`;
}

function entryLength(entry: TranscriptEntry): number {
  return escapedLength(formatEntry(entry));
}

/** Characters of `text` inside a JSON string. */
function escapedLength(text: string): number {
  return JSON.stringify(text).length - 2;
}
