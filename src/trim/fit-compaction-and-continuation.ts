// Claude Code's two requests that carry a long conversation to the model at once, fitted to a small
// context: a compaction (a summary of the conversation) and a request to go on with a cut answer.
import { isGoOnTurn, type Continuation } from "../router/continued-request.js";
import type { AnthropicMessageParam, AnthropicContentBlock, AnthropicToolResultBlock, MessagesRequest } from "../translate/anthropic-types.js";
import { joinTextBlocks } from "../translate/join-text-blocks.js";
import { removeMallexNotes } from "../translate/clean-history-for-claude.js";
import { measurePrompt } from "../router/describe-request.js";
import { estimateTokens } from "../translate/estimate-tokens.js";
import { shortenMiddle } from "./fit-to-budget.js";
import type { PromptSize } from "./trim-types.js";

/**
 * Where Claude Code's compaction request keeps its instructions: the last message, a user turn, whose
 * last text block asks for a summary — the request is otherwise its agent's own (same system prompt,
 * tools and conversation: 2.1.197 and 2.1.330 reuse them for the prompt cache). The same for
 * `/compact`, its automatic compaction before a turn, and the one it tries after a refused prompt
 * ("prompt is too long") or an answer the context cut.
 */
export interface CompactionRequest {
  /** The index of that block in its message's content (0 when the content is a string). */
  instructionBlock: number;
  /**
   * The index of the user turn holding the instructions: the last message, or, when Claude Code asks
   * to go on with a summary the output limit cut, the turn before that continuation (see
   * isGoOnTurn), which follows it as it was sent.
   */
  instructionMessage: number;
}

/**
 * Its instructions, as the released binaries word them (`strings` of 2.1.197 and 2.1.330): "Your
 * task is to create a detailed summary of the conversation so far" (whole compaction), "…of the
 * RECENT portion of the conversation" (partial), "…of this conversation"; each asks for a
 * `<summary>` block and forbids tool calls. All three must be there, so a user who pastes one
 * sentence of it is not taken for a compaction.
 */
const SUMMARY_TASK = /\bcreate a detailed summary of (?:the conversation|the RECENT portion|this conversation)/;
const SUMMARY_BLOCK = /<summary>/;
const NO_TOOLS = /\bDo NOT call any tools\b|\bTEXT ONLY\b/;

/**
 * Claude Code's compaction request, known by its structure: a request Claude Code sent (the caller
 * knows: recognizeClaudeCode) whose last message is a user turn ending in the summary instructions —
 * or whose last turns, after that one, are its summary cut at the output limit and Claude Code's
 * request to go on with it (isGoOnTurn: up to 3 times, 2.1.332's last "Output token limit hit again, so this
 * summary is too long to finish…"), as many times as it asked. Undefined for any other request.
 */
export function recognizeCompaction(request: { readonly messages: readonly AnthropicMessageParam[] }): CompactionRequest | undefined {
  const { messages } = request;
  let at = messages.length - 1;
  // Back over each (cut summary, request to go on) pair.
  while (at >= 2 && messages[at - 1]?.role === "assistant" && isGoOnTurn(messages[at])) at -= 2;
  const turn: AnthropicMessageParam | undefined = messages[at];
  if (turn === undefined || turn.role !== "user") return undefined;
  if (typeof turn.content === "string") return isInstruction(turn.content) ? { instructionBlock: 0, instructionMessage: at } : undefined;
  // Its last text block: a request to go on with the answer before may come first (2.1.332 compacting before it goes on).
  const index = turn.content.findLastIndex((block) => block.type === "text");
  const block = turn.content[index];
  return block?.type === "text" && isInstruction(block.text) ? { instructionBlock: index, instructionMessage: at } : undefined;
}

function isInstruction(text: string): boolean {
  return SUMMARY_TASK.test(text) && SUMMARY_BLOCK.test(text) && NO_TOOLS.test(text);
}

/** One block of a conversation as text: who said or did what (`head`), and what (`body`). */
export interface TranscriptEntry {
  head: string;
  body: string;
}

/**
 * A conversation written out as text, block by block, in order: what a summary needs of it, with no
 * tool call left to pair with its result (a model asked to summarise is offered no tools). Thinking
 * is left out (Claude Code's compaction drops it too); an image or a document is named, not carried.
 */
export function renderTranscript(messages: readonly AnthropicMessageParam[]): TranscriptEntry[] {
  const toolNames = new Map<string, string>();
  const entries: TranscriptEntry[] = [];
  for (const message of messages) {
    const blocks: readonly AnthropicContentBlock[] = typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content;
    for (const block of blocks) {
      const entry = renderBlock(message.role, block, toolNames);
      if (entry !== undefined) entries.push(entry);
    }
  }
  return entries;
}

function renderBlock(role: AnthropicMessageParam["role"], block: AnthropicContentBlock, toolNames: Map<string, string>): TranscriptEntry | undefined {
  switch (block.type) {
    case "text":
      return block.text.trim() === "" ? undefined : { head: `[${role}]`, body: block.text };
    case "tool_use":
      toolNames.set(block.id, block.name);
      return { head: `[${role} called ${block.name}]`, body: JSON.stringify(block.input ?? {}) };
    case "tool_result":
      return {
        head: `[result of ${toolNames.get(block.tool_use_id) ?? "a tool call"}${block.is_error === true ? ", an error" : ""}]`,
        body: resultText(block),
      };
    case "image":
      return { head: `[${role}: an image]`, body: "" };
    case "document":
      return { head: `[${role}: a document${block.title ? ` "${block.title}"` : ""}]`, body: "" };
    default:
      return undefined;
  }
}

function resultText(block: AnthropicToolResultBlock): string {
  const content = block.content;
  if (content === undefined) return "";
  if (typeof content === "string") return content;
  return joinTextBlocks(content.flatMap((part) => (part.type === "text" ? [part.text] : [])));
}

/** What goes before the tail of a cut answer whose start was left out. */
const GAP = "…";

/**
 * Claude Code's request to go on with a cut answer (recognizeContinuation), fitted to a small context:
 * the pieces of the cut answer become one assistant turn, without mallex's notes of the cap (the
 * request to go on says it was cut), of which only its last `tailChars` characters are kept — what
 * the model needs to pick up mid-thought — followed by Claude Code's last request to go on, as sent.
 *
 * Why: Claude Code asks to go on up to 3 times, each time with every piece before, and decides
 * whether to compact from the last answer's usage. In a small context each piece would push its count
 * further past its compaction point, and a compaction before each request to go on (it keeps the last
 * piece as it was, so a small context refills at once) is what Claude Code ends as "Autocompact is
 * thrashing" after 3. Fitted, each request to go on is the size of the first, so the count stays
 * where the first piece left it. The whole answer is in the conversation Claude Code sends on the next
 * turn, which it compacts (or mallex refuses as too long, and it compacts): so each piece is still capped
 * counting those before it (TrimReport.continuation, profileForAnswer).
 *
 * A piece's thinking is left out with its notes. Undefined when a piece holds anything else (a tool
 * call): that request is sent as it came.
 */
export function fitContinuation(
  messages: readonly AnthropicMessageParam[],
  continuation: Continuation,
  tailChars: number,
): { messages: AnthropicMessageParam[]; charsRemoved: number } | undefined {
  const tail = messages.slice(continuation.answerStart);
  const pieces = tail.filter((_, index) => index % 2 === 0);
  let answer = "";
  for (const piece of pieces) {
    const text = pieceText(piece);
    if (text === undefined) return undefined;
    answer += text;
  }
  const kept = answer.length > tailChars ? GAP + sliceFromEnd(answer, tailChars) : answer;
  const answerAndAsk: AnthropicMessageParam[] = [{ role: "assistant", content: [{ type: "text", text: kept }] }, tail.at(-1)!];
  return {
    messages: [...messages.slice(0, continuation.answerStart), ...answerAndAsk],
    charsRemoved: JSON.stringify(tail).length - JSON.stringify(answerAndAsk).length,
  };
}

/** A piece's words, without mallex's notes; undefined when it carries a tool call or anything else but text. */
function pieceText(piece: AnthropicMessageParam): string | undefined {
  const blocks: AnthropicContentBlock[] = typeof piece.content === "string" ? [{ type: "text", text: piece.content }] : piece.content;
  let text = "";
  for (const block of blocks) {
    if (block.type === "text") text += removeMallexNotes(block.text);
    else if (block.type !== "thinking" && block.type !== "redacted_thinking") return undefined;
  }
  return text;
}

/** The last `chars` characters of `text`, never starting inside a surrogate pair. */
function sliceFromEnd(text: string, chars: number): string {
  let start = text.length - chars;
  const code = text.charCodeAt(start);
  if (code >= 0xdc00 && code <= 0xdfff) start++;
  return text.slice(start);
}

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
