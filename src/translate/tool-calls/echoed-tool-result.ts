import { basename } from "node:path";
import type { AnthropicMessage, AnthropicMessageParam, AnthropicToolUseBlock } from "../anthropic-types.js";
import { blocksOf, changedFiles, EDITING_TOOLS, toolCallsOf, toolResultText } from "./conversation-blocks.js";
import { fileTexts, WRITE_TOOL } from "./whole-file-write.js";

/**
 * A call of the model's that would write a tool's own message into a file, and the file: a Write's
 * content (or an Edit's new text) that is the result the conversation shows for an earlier change of
 * a file, or one line that names the file's own path. Having written a correct wordcount.py, the real
 * Qwen2.5-Coder-1.5B wrote it three more times with "File created successfully at:
 * /…/wordcount.py (file state is current in your context — no need to Read it back)", Claude Code's
 * answer to its first Write, then a variant of it, as the content: the task's file ended as that line.
 * The 0.5B shortened it: a Write of slugify.js whose content was "Updated successfully.", every word
 * of it from Claude Code's answer to the Write before. No file's content is its own path in one line,
 * the answer to a change, or one line made of that answer's words.
 * A Write that puts back a text the conversation showed the file with before it was changed is such a
 * call too (`past`): having written roman.py implemented, the model wrote it again as its Read had
 * shown it, `raise NotImplementedError` and all, and the task's change was undone (the same with
 * slugify.js, in the same run). Where the user's words ask for a change to be undone, a caller
 * leaves such Writes alone (`pastTexts: false`).
 * An Edit whose new text is its old text (`unchanged`) changes nothing either: Claude Code refuses it
 * ("No changes to make: old_string and new_string are exactly the same."), and the real 0.5B, shown
 * that refusal, made the same Edit 9 times in a row (claude-md-instructions, 2026-11-29). It is asked
 * again, told so, but passed on if it stays: Claude Code's refusal is then the model's to read.
 */
export interface EchoedResult {
  call: AnthropicToolUseBlock;
  path: string;
  /**
   * What it would write: a tool's message; an earlier text of the file (`past`); or the text it
   * replaces (`unchanged`: an Edit, or one of a MultiEdit's, whose new text is its old text).
   */
  kind: "message" | "past" | "unchanged";
}

/** Which echoes to look for: with `pastTexts: false`, not a file's earlier text (the user asked for a change undone). */
export interface EchoOptions {
  pastTexts: boolean;
}

/** The answer's first call that writes a tool's message into a file (see EchoedResult); undefined where none does. */
export function echoedResult(
  answer: Pick<AnthropicMessage, "content">,
  messages: readonly AnthropicMessageParam[],
  options: EchoOptions = { pastTexts: true },
): EchoedResult | undefined {
  const echoes = echoesIn(messages, options);
  for (const block of answer.content) {
    const echoed = block.type === "tool_use" ? echoes(block) : undefined;
    if (echoed !== undefined) return echoed;
  }
  return undefined;
}

/**
 * For the conversation, whether a call echoes (as an EchoedResult): its new text is a change's result
 * or one line naming its own file, or it is a Write of a text the file had before its last one.
 */
function echoesIn(messages: readonly AnthropicMessageParam[], { pastTexts }: EchoOptions): (call: AnthropicToolUseBlock) => EchoedResult | undefined {
  const changes = changeResults(messages);
  const changeWords = new Set([...changes].flatMap(wordsOf));
  const texts = pastTexts ? fileTexts(messages) : new Map<string, string[]>();
  return (call) => {
    if (!EDITING_TOOLS.has(call.name)) return undefined;
    const path = (call.input as { file_path?: unknown } | null)?.file_path;
    if (typeof path !== "string" || path === "") return undefined;
    if (replacesWithItself(call.input)) return { call, path, kind: "unchanged" };
    const message = (text: string) => {
      const line = text.trim();
      return line !== "" && (changes.has(line) || (!line.includes("\n") && line.includes(path)));
    };
    if (newTexts(call.input).some(message)) return { call, path, kind: "message" };
    const content = (call.input as { content?: unknown }).content;
    if (call.name === WRITE_TOOL && typeof content === "string" && madeOfWords(content, changeWords)) return { call, path, kind: "message" };
    const history = texts.get(path) ?? [];
    const same = (text: string | undefined) => typeof content === "string" && text?.trimEnd() === content.trimEnd();
    return call.name === WRITE_TOOL && history.slice(0, -1).some(same) && !same(history.at(-1)) ? { call, path, kind: "past" } : undefined;
  };
}

/**
 * How each kind of echo is said: to the model (the tested words, docs/eval.md) with what it is asked
 * next, in the log, and in the answer where the call is dropped (an Edit that changes nothing never is).
 */
const ECHO_WORDS = {
  message: {
    told: (name: string) => `put a tool's own message into ${name} instead of its content`,
    next: "If the task is done, say so in one sentence.",
    logged: (path: string) => `write a tool's message into ${path}`,
    was: "a tool's message, not the file's content",
  },
  past: {
    told: (name: string) => `put ${name} back as it was before it was changed`,
    next: "If the task is done, say so in one sentence.",
    logged: (path: string) => `put ${path} back as it was before it was changed`,
    was: "the file as it was before it was changed",
  },
  unchanged: {
    told: (name: string) => `change nothing in ${name} (its new_string is its old_string)`,
    next: "Give new_string the changed text, or, if the task is done, say so in one sentence.",
    logged: (path: string) => `change nothing in ${path}`,
  },
};

/** What the model is told when its call would write a tool's message into the file, put it back as it was, or change nothing. */
export function echoedResultCorrection(echoed: EchoedResult, messages: readonly AnthropicMessageParam[]): string {
  const name = basename(echoed.path);
  const written = messages.some((message) => changedFiles(message).includes(echoed.path));
  const words = ECHO_WORDS[echoed.kind];
  return `That ${echoed.call.name} would ${words.told(name)}: it was not run. ${written ? `${name} is written already. ` : ""}${words.next}`;
}

/** The problem, in the log's words. */
export function describeEcho(echoed: EchoedResult): string {
  return `its ${echoed.call.name} would ${ECHO_WORDS[echoed.kind].logged(echoed.path)}`;
}

/**
 * The answer without its calls that write a tool's message into a file, each replaced by a sentence
 * that says so (`said`: the first, in the log's words); where no call is left of a turn that stopped
 * for its calls, the turn ends (`end_turn`; an answer cut short keeps its stop). Mallex asked again first: what it will not pass on is a file
 * overwritten with a line about itself.
 */
export function withoutEchoedResults<T extends Pick<AnthropicMessage, "content" | "stop_reason">>(
  answer: T,
  messages: readonly AnthropicMessageParam[],
  options: EchoOptions = { pastTexts: true },
): { answer: T; dropped: number; said?: string } {
  const echoes = echoesIn(messages, options);
  let dropped = 0;
  let said: string | undefined;
  const content = answer.content.map((block) => {
    const echoed = block.type === "tool_use" ? echoes(block) : undefined;
    // An Edit that changes nothing writes nothing: Claude Code refuses it, in words the model reads.
    if (echoed === undefined || echoed.kind === "unchanged") return block;
    dropped++;
    said ??= describeEcho(echoed);
    const { was } = ECHO_WORDS[echoed.kind];
    return { type: "text" as const, text: `(mallex did not pass on the model's ${echoed.call.name} of ${echoed.path}: its text was ${was}.)` };
  });
  const ends = answer.stop_reason === "tool_use" && !content.some((block) => block.type === "tool_use");
  return { answer: { ...answer, content, ...(ends ? { stop_reason: "end_turn" as const } : {}) }, dropped, ...(said !== undefined ? { said } : {}) };
}

/** The texts a change's results said ("File created successfully at: …"), trimmed. */
function changeResults(messages: readonly AnthropicMessageParam[]): Set<string> {
  const changes = new Set(
    messages.flatMap((message) =>
      toolCallsOf(message)
        .filter((call) => EDITING_TOOLS.has(call.name))
        .map((call) => call.id),
    ),
  );
  return new Set(
    messages.flatMap((message) =>
      blocksOf(message).flatMap((block) => (block.type === "tool_result" && changes.has(block.tool_use_id) ? [toolResultText(block.content).trim()] : [])),
    ),
  );
}

/** Whether an Edit, or one of a MultiEdit's edits, replaces a text with itself. */
function replacesWithItself(input: unknown): boolean {
  const { edits, ...edit } = (input ?? {}) as Record<string, unknown>;
  return [edit, ...(Array.isArray(edits) ? edits : [])].some((each) => {
    const { old_string: before, new_string: after } = (each ?? {}) as Record<string, unknown>;
    return typeof before === "string" && before === after;
  });
}

/** The new texts a call of a changing tool puts into its file: a Write's content, an Edit's new string, each of a MultiEdit's. */
function newTexts(input: unknown): string[] {
  const { content, new_string: replacement, new_source: source, edits } = (input ?? {}) as Record<string, unknown>;
  const each = Array.isArray(edits) ? edits.map((edit) => (edit as { new_string?: unknown } | null)?.new_string) : [];
  return [content, replacement, source, ...each].filter((text): text is string => typeof text === "string");
}

/** A text's words, lower case: runs of letters. */
const wordsOf = (text: string): string[] => text.toLowerCase().match(/\p{L}+/gu) ?? [];

/** One line of two words or more, every one of them from `words`: a tool's message shortened ("Updated successfully."). */
function madeOfWords(text: string, words: ReadonlySet<string>): boolean {
  const line = text.trim();
  if (line.includes("\n")) return false;
  const own = wordsOf(line);
  return own.length >= 2 && own.every((word) => words.has(word));
}
