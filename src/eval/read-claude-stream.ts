import { errorGist } from "./error-gist.js";
import { readInvalidCallReasons } from "../translate/tool-calls/resolve-tool-call.js";

/**
 * What one `claude -p --output-format stream-json` run did, folded from its lines: Claude Code's own
 * account of the turns and tool calls (mallex's request metrics say nothing of what a tool did).
 */
export interface ClaudeTranscript {
  /** Model turns: distinct assistant messages (Claude Code prints a message's blocks as separate lines with its id). */
  turns: number;
  /** The id of the last assistant message seen. */
  lastMessageId?: string;
  /** tool_use blocks the model emitted (what Claude Code was asked to run), by tool name. */
  toolCalls: Record<string, number>;
  /** tool_result blocks that came back with is_error: a denied, malformed or failing call. */
  failedToolCalls: number;
  /** Calls mallex could not turn into a tool_use (its "[mallex: … not run" notes in the answer text). */
  rejectedToolCalls: number;
  /** The last tool results that failed (bounded), for the report's "why". */
  toolErrors: string[];
  /** The result line's text: the model's final answer. */
  answer?: string;
  /** The result line's subtype ("success", "error_max_turns", …) and its is_error. */
  resultSubtype?: string;
  isError?: boolean;
}

export const emptyTranscript = (): ClaudeTranscript => ({ turns: 0, toolCalls: {}, failedToolCalls: 0, rejectedToolCalls: 0, toolErrors: [] });

const MAX_TOOL_ERRORS = 3;
const MAX_TEXT = 300;

/** Pure: the transcript after one more line (lines that are not JSON objects, e.g. a stray log line, change nothing). */
export function foldClaudeLine(transcript: ClaudeTranscript, line: string): ClaudeTranscript {
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    return transcript;
  }
  if (typeof event !== "object" || event === null) return transcript;
  const e = event as { type?: unknown; message?: { content?: unknown; id?: unknown }; subtype?: unknown; is_error?: unknown; result?: unknown };
  const blocks = Array.isArray(e.message?.content) ? (e.message.content as Record<string, unknown>[]) : [];
  if (e.type === "assistant") {
    const toolCalls = { ...transcript.toolCalls };
    let rejected = transcript.rejectedToolCalls;
    for (const block of blocks) {
      if (block.type === "tool_use" && typeof block.name === "string") toolCalls[block.name] = (toolCalls[block.name] ?? 0) + 1;
      if (block.type === "text" && typeof block.text === "string") rejected += readInvalidCallReasons(block.text).length;
    }
    const id = typeof e.message?.id === "string" ? e.message.id : undefined;
    const next: ClaudeTranscript = {
      ...transcript,
      turns: id !== undefined && id === transcript.lastMessageId ? transcript.turns : transcript.turns + 1,
      toolCalls,
      rejectedToolCalls: rejected,
    };
    if (id !== undefined) next.lastMessageId = id;
    return next;
  }
  if (e.type === "user") {
    const failed = blocks.filter((block) => block.type === "tool_result" && block.is_error === true);
    if (failed.length === 0) return transcript;
    const errors = [...transcript.toolErrors, ...failed.map((block) => errorGist(textOf(block.content), MAX_TEXT))].slice(-MAX_TOOL_ERRORS);
    return { ...transcript, failedToolCalls: transcript.failedToolCalls + failed.length, toolErrors: errors };
  }
  if (e.type === "result") {
    const next: ClaudeTranscript = { ...transcript };
    if (typeof e.result === "string") next.answer = e.result;
    if (typeof e.subtype === "string") next.resultSubtype = e.subtype;
    if (typeof e.is_error === "boolean") next.isError = e.is_error;
    return next;
  }
  return transcript;
}

export const totalToolCalls = (t: ClaudeTranscript): number => Object.values(t.toolCalls).reduce((sum, n) => sum + n, 0);

/** A tool_result's content: a string, or text blocks. */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content
      .map((part) =>
        typeof part === "object" && part !== null && typeof (part as { text?: unknown }).text === "string" ? (part as { text: string }).text : "",
      )
      .join("");
  return "";
}
