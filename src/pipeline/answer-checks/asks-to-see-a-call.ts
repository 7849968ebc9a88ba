import type { MessagesRequest } from "../../translate/anthropic-types.js";
import { splitSystemReminders } from "../../trim/read-preamble.js";

/**
 * Words with which a user asks to be shown or told about a tool call rather than for the work: an
 * example, the format, a call not to be run. Narrow on purpose: a cue wrongly seen leaves a real
 * unmarked call as text (the model can write it again), so "don't make it long" is no cue. Each
 * spans one clause at most ({0,40} characters without . ? ! or a line break), so a scan reads each
 * character a bounded number of times.
 */
const CUES: readonly RegExp[] = [
  /\bwithout (?:running|executing|calling) (?:it|them|anything|any tools?|the (?:tool|call|command)s?)\b/i,
  /\b(?:don't|dont|do not) (?:run|execute|call) (?:it|them|anything|any tools?|the (?:tool|call|command)s?)\b/i,
  // "Tool call", not "function call": code has function calls to fix and format.
  /\bexamples? (?:of|for)\b[^.?!\n]{0,40}\btool ?calls?\b/i,
  /\btool ?calls?\b[^.?!\n]{0,40}\b(?:looks?|would look) like\b/i,
  /\b(?:format|syntax|schema|shape)\b[^.?!\n]{0,40}\b(?:of|for) (?:a |an |the |your |my )?tool ?calls?\b/i,
  /\btool ?calls?\b[^.?!\n]{0,40}\b(?:format|syntax|schema)\b/i,
];

/**
 * Work on a file asked for in the same words ("Write fixtures/calls.json with an example of a tool
 * call"): the call that does it is the work, whatever else they say about calls.
 */
const FILE_WORK = /(?:^|[.!?;\n]\s*)(?:please )?(?:create|write|add|save|put|update|edit|append|insert|fix|change)\b[^.?!\n]{0,200}?[\w/-]\.[A-Za-z]{1,5}\b/i;

/**
 * Whether the user's latest words ask to see a tool call rather than for one: then a call the answer
 * writes outside its family's own markup (bare JSON, a ```json fence, a `<tools>` wrapper) is the
 * example asked for, and stays text; a `<tool_call>` still runs. Only the user's own text counts — Claude Code's `<system-reminder>`s in the same message are
 * not the user's words — and only in the conversation's last message: one holding only tool results
 * is the model's work going on. Recorded on the real Qwen2.5-Coder-1.5B: asked "Without
 * running anything, show me the tool call you would make to delete the build folder", it answered
 * with nothing but a fenced Edit call, the shape of its real calls.
 */
export function asksToSeeACall(request: Pick<MessagesRequest, "messages">): boolean {
  const last = request.messages.at(-1);
  if (last?.role !== "user") return false;
  const words = userWords(last.content);
  return words !== "" && CUES.some((cue) => cue.test(words)) && !FILE_WORK.test(words);
}

/** The user's own text in a message: its text blocks, less Claude Code's reminders. */
function userWords(content: MessagesRequest["messages"][number]["content"]): string {
  const texts = typeof content === "string" ? [content] : content.flatMap((block) => (block.type === "text" ? [block.text] : []));
  return texts
    .flatMap((text) => splitSystemReminders(text).flatMap((segment) => (segment.kind === "text" ? [segment.text] : [])))
    .join("\n")
    .trim();
}
