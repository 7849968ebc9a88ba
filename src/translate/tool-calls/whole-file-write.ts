/**
 * A small model's edit in the format it makes best: the whole file again, in a code block. Asked to
 * implement a function in a file it has just read, Qwen2.5-Coder-1.5B answered with the whole file,
 * docstring kept and the function written, in a ```python fence — and made no call, so Claude Code's
 * turn ended with the file unchanged; held to a call (tool_choice any), it wrote a Write whose content
 * was the Read result again, line numbers and all. Aider's "whole" edit format measures the same
 * model at 31.6% of its benchmark. So, with `tools.whole_file_writes`, such an answer becomes the
 * Write it stands for:
 * - the file is one the conversation read whole (Claude Code lets a file be written only once read):
 *   of those, the one whose lines the block keeps the most of (a test read beside the code it tests
 *   is not the file the model rewrote because it came last);
 * - the answer makes no call and holds exactly one fenced block labelled for code (or unlabelled),
 *   not data (```json: a call or an example, see find-unknown-calls.ts), unless the file is JSON itself
 *   or the block is a Write's arguments with no call around them (its `content` is the block then);
 * - the block is that file again, changed: at least half of the file's non-blank lines are among its
 *   lines (so a snippet of it, or a file of its own, is not taken for it), and it is not the file as read;
 * - or the file is one the task asks to create, and the block its content;
 * - a block that is a shell command writing the file (`cat > roman.py <<'EOF'`, `echo … > hello.txt`)
 *   stands for what the command writes, and for nothing where only running it would tell
 *   (shell-file-write.ts).
 * The words around the block stay, before the call. Pure.
 */
import type { AnthropicContentBlock, AnthropicMessage, AnthropicMessageParam, AnthropicOutputBlock } from "../anthropic-types.js";
import { blocksOf, toolCallsOf, toolResultText } from "./conversation-blocks.js";
import { shellFileWrite, type ShellFileWrite } from "./shell-file-write.js";

/** The file a Read returned, as the model saw it and as it is on disk (its lines without Claude Code's numbers). */
export interface ReadFile {
  path: string;
  text: string;
  /** A file the task asks to create, not there yet (`text` empty): any one block of code is its content. */
  created?: true;
}

/** The tool Claude Code reads files with, and the one that writes a whole file. */
export const READ_TOOL = "Read";
export const WRITE_TOOL = "Write";

/**
 * The files the conversation has read whole or written, newest first (of one turn's calls, the last
 * made), each path once, as the conversation last showed them: a whole file's Read (not an error, nor
 * a part of a file: no offset or limit), then a Write's content and an Edit's replacements on top,
 * where their results are no error.
 * After a Write, Claude Code answers a Read of the same file with a note that it is unchanged, not the
 * file, so what the model wrote is the file's latest text.
 */
export function readFiles(messages: readonly AnthropicMessageParam[]): ReadFile[] {
  const files = new Map<string, string>();
  eachFileText(messages, (path, text) => {
    files.delete(path);
    if (text !== undefined) files.set(path, text);
  });
  return [...files].reverse().map(([path, text]) => ({ path, text }));
}

/** The texts the conversation has shown each file with, as readFiles finds them, oldest first: the last is its text now. */
export function fileTexts(messages: readonly AnthropicMessageParam[]): Map<string, string[]> {
  const texts = new Map<string, string[]>();
  eachFileText(messages, (path, text) => {
    if (text !== undefined) texts.set(path, [...(texts.get(path) ?? []), text]);
  });
  return texts;
}

/** Each text the conversation gives a file, in order (see readFiles); undefined where an edit leaves it unknown. */
function eachFileText(messages: readonly AnthropicMessageParam[], visit: (path: string, text: string | undefined) => void): void {
  const known = new Map<string, string>();
  for (let at = 1; at < messages.length; at++) {
    const calls = blocksOf(messages[at - 1]!);
    // In the order of the calls: Claude Code may return parallel results in the order they finished.
    for (const call of toolCallsOf(messages[at - 1]!)) {
      const result = blocksOf(messages[at]!).find((block) => block.type === "tool_result" && block.tool_use_id === call.id);
      if (result?.type !== "tool_result" || result.is_error === true) continue;
      const read = wholeFileReadOf(result, calls);
      const file = read === undefined ? editedFile(call.name, call.input, known) : { path: read, text: numberedFileText(toolResultText(result.content)) };
      if (file === undefined || (read !== undefined && file.text === undefined)) continue;
      known.delete(file.path);
      if (file.text !== undefined) known.set(file.path, file.text);
      visit(file.path, file.text);
    }
  }
}

/**
 * A Write's or an Edit's file and its text after it; the text undefined where it is no longer known
 * (an Edit of a file the conversation has not shown, or whose text does not hold what it replaced).
 * Undefined for any other call.
 */
export function editedFile(tool: string, input: unknown, files: ReadonlyMap<string, string>): { path: string; text: string | undefined } | undefined {
  const { file_path: path, content, edits } = (input ?? {}) as { file_path?: unknown; content?: unknown; edits?: unknown };
  if (typeof path !== "string") return undefined;
  if (tool === WRITE_TOOL) return { path, text: typeof content === "string" ? content : undefined };
  const replacements: unknown[] = tool === "Edit" ? [input] : tool === "MultiEdit" && Array.isArray(edits) ? edits : [];
  if (replacements.length === 0) return undefined;
  let text = files.get(path);
  for (const replacement of replacements) {
    const { old_string: from, new_string: to, replace_all: all } = (replacement ?? {}) as { old_string?: unknown; new_string?: unknown; replace_all?: unknown };
    if (text === undefined || typeof from !== "string" || typeof to !== "string" || from === "" || !text.includes(from)) return { path, text: undefined };
    text = all === true ? text.replaceAll(from, () => to) : text.replace(from, () => to);
  }
  return { path, text };
}

/**
 * The answer with its one code block made a Write of the file read (`files`, newest first) that the
 * block is, changed — the one whose lines it keeps the most of, the newest on a tie — the words
 * before and after it kept as text before the call; undefined where the answer is no such edit (see
 * the module's comment). Asked for a rename (`renamed`), the lines it keeps are counted with the new
 * name read as the old: renamed, greet.js's two lines are both new.
 */
export function wholeFileWrite(answer: AnthropicMessage, files: readonly ReadFile[], id: string, renamed?: Renamed): AnthropicMessage | undefined {
  if (answer.content.some((block) => block.type === "tool_use")) return undefined;
  const text = answer.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join("");
  const fences = codeFences(text);
  if (fences.length !== 1) return undefined;
  const [fence] = fences as [CodeFence];
  const [rewrite] = readingsOf(fence).flatMap((block) => {
    const write = rewrittenFile(block.text, filesFor(block, files), renamed) ?? createdFile(block, files);
    return write === undefined ? [] : [write];
  });
  if (rewrite === undefined) return undefined;
  const { file, content: written } = rewrite;
  const words = `${text.slice(0, fence.start)}${text.slice(fence.end)}`.trim();
  const content: AnthropicOutputBlock[] = [
    ...answer.content.filter((block) => block.type === "thinking"),
    ...(words === "" ? [] : [{ type: "text" as const, text: words }]),
    { type: "tool_use", id, name: WRITE_TOOL, input: { file_path: file.path, content: withFinalNewline(written) } },
  ];
  return { ...answer, content, stop_reason: "tool_use", stop_sequence: null };
}

/** Whether the answer, making no call, is one code block that is `file` as it was: asked to change it, the model changed nothing. */
export function unchangedRewrite(answer: AnthropicMessage, file: ReadFile): boolean {
  if (answer.content.some((block) => block.type === "tool_use")) return false;
  const fences = codeFences(answer.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join(""));
  return fences.length === 1 && readingsOf(fences[0]!).some((block) => sameText(contentFor(block.text, file.path) ?? block.text, file.text));
}

/** A way to read a fence as a file: its text, whether it is code, and the file it names. */
interface BlockReading {
  text: string;
  code: boolean;
  path?: string;
}

/**
 * The ways to read a fence as a file, the likelier first: for a data fence that is a JSON object with
 * a file in a `content` string (at its top, or under `arguments`, `parameters` or `input`: a Write's
 * arguments without the call), that string, as code, with its `file_path` where it names one; then
 * its body as it stands (a JSON file with a `content` key of its own). Asked for limits.js whole, the
 * real 1.5B answered ```json {"content": "export const TIMEOUT_MS = …"}```: the file changed, in a
 * call's clothes.
 */
function readingsOf(fence: CodeFence): BlockReading[] {
  const plain = { text: fence.body, code: fence.code };
  if (fence.code || !fence.body.trimStart().startsWith("{")) return [plain];
  let value: unknown;
  try {
    value = JSON.parse(fence.body);
  } catch {
    return [plain];
  }
  const object = isObject(value) ? value : {};
  const args = [object, object.arguments, object.parameters, object.input].find((part) => isObject(part) && typeof part.content === "string");
  if (!isObject(args)) return [plain];
  const path = typeof args.file_path === "string" ? { path: args.file_path } : {};
  return [{ text: args.content as string, code: true, ...path }, plain];
}

/** The files read that a reading of a block may rewrite: the one it names; else any for code, the JSON files for data. */
function filesFor(block: BlockReading, files: readonly ReadFile[]): readonly ReadFile[] {
  if (block.path !== undefined) return files.filter((file) => file.path === block.path);
  return block.code ? files : files.filter((file) => DATA_FILE.test(file.path));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A name of the code the model was asked to rename, the old and the new. */
export interface Renamed {
  from: string;
  to: string;
}

/** A file and the text a block makes it. */
interface BlockWrite {
  file: ReadFile;
  content: string;
}

/** The file `block` rewrites, with what it makes it: the one it keeps the most of (at least half), unless it is that file unchanged. */
function rewrittenFile(block: string, files: readonly ReadFile[], renamed?: Renamed): BlockWrite | undefined {
  let best: (BlockWrite & { kept: number }) | undefined;
  for (const file of files) {
    if (file.created === true) continue;
    const content = contentFor(block, file.path);
    if (content === undefined) continue;
    const compared = renamed === undefined ? content : content.replace(wholeWord(renamed.to), () => renamed.from);
    const kept = keptShare(compared, file.text);
    if (kept >= 0.5 && (best === undefined || kept > best.kept)) best = { file, content, kept };
  }
  return best === undefined || sameText(best.content, best.file.text) ? undefined : { file: best.file, content: best.content };
}

/**
 * What a block makes the file at `path`: the block as it stands, or where it is a shell command
 * writing that file, what the command writes; undefined where only running it would tell.
 */
function contentFor(block: string, path: string): string | undefined {
  const command = shellFileWrite(block, path);
  if (command === undefined) return block;
  return "content" in command ? command.content : undefined;
}

/**
 * The file to create that a block not rewriting a file read is the content of: code (data for a data
 * file), not empty, naming no other file; with that content. A block that is a shell command writing
 * the file gives what it writes, or nothing where only running it would tell (shell-file-write.ts).
 */
function createdFile(block: BlockReading, files: readonly ReadFile[]): BlockWrite | undefined {
  const file = files.find((known) => known.created === true);
  if (file === undefined || block.text.trim() === "" || (block.path !== undefined && block.path !== file.path)) return undefined;
  if (!block.code && !DATA_FILE.test(file.path)) return undefined;
  const content = contentFor(block.text, file.path);
  return content === undefined ? undefined : { file, content };
}

/**
 * Where the answer, making no call, is one code block that is a shell command writing the file at
 * `path`: what it writes, or why only running it would tell; undefined otherwise.
 */
export function shellCommandFor(answer: AnthropicMessage, path: string): ShellFileWrite | undefined {
  if (answer.content.some((block) => block.type === "tool_use")) return undefined;
  const fences = codeFences(answer.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join(""));
  return fences.length === 1 ? shellFileWrite(fences[0]!.body, path) : undefined;
}

/** The file a tool result is the whole of: the path of the Read (in `calls`, the message before) it answers, where that Read succeeded and took no offset or limit. */
function wholeFileReadOf(result: AnthropicContentBlock & { type: "tool_result" }, calls: readonly AnthropicContentBlock[]): string | undefined {
  if (result.is_error === true) return undefined;
  const call = calls.find((block) => block.type === "tool_use" && block.id === result.tool_use_id);
  if (call?.type !== "tool_use" || call.name !== READ_TOOL) return undefined;
  const input = call.input as { file_path?: unknown; offset?: unknown; limit?: unknown };
  return typeof input.file_path === "string" && input.offset === undefined && input.limit === undefined ? input.file_path : undefined;
}

/** Claude Code's Read result, `cat -n` style (`     1\t…`; older releases `     1→…`), as the file's text; undefined if it is not one. */
function numberedFileText(result: string): string | undefined {
  const split = splitNumbered(result);
  return split === undefined ? undefined : split.lines.join("\n");
}

/**
 * A Read result's numbered lines, without their numbers (from line 1, each the next), and what
 * follows them (a reminder Claude Code appends, which is not the file's); undefined if it has none.
 */
function splitNumbered(result: string): { lines: string[]; rest: string } | undefined {
  const lines: string[] = [];
  const all = result.split("\n");
  for (const line of all) {
    const numbered = /^ *(\d+)(?:\t|→)(.*)$/.exec(line);
    if (numbered === null) break;
    if (Number(numbered[1]) !== lines.length + 1) return undefined;
    lines.push(numbered[2]!);
  }
  return lines.length === 0 ? undefined : { lines, rest: all.slice(lines.length).join("\n") };
}

/**
 * The conversation with each whole file's Read result as the file's own lines, without Claude Code's
 * line numbers (what follows them kept). Asked to change roman.py after a numbered Read, the real
 * Qwen2.5-Coder-1.5B wrote the file back unchanged 4 times of 4; after the same Read without numbers,
 * it wrote it implemented 4 of 4, and a model that copies the numbers into a Write or an Edit's
 * old_string breaks the file or the edit. Messages without such a result are kept as they are.
 */
export function withPlainReads<T extends AnthropicMessageParam>(messages: readonly T[]): T[] {
  return messages.map((message, at) => {
    if (at === 0 || typeof message.content === "string" || !message.content.some((block) => block.type === "tool_result")) return message;
    const calls = blocksOf(messages[at - 1]!);
    const content = message.content.map((block) =>
      block.type === "tool_result" && wholeFileReadOf(block, calls) !== undefined ? { ...block, content: plainContent(block.content) } : block,
    );
    return { ...message, content };
  });
}

function plainContent<C extends string | readonly { type: string; text?: string }[] | undefined>(content: C): C {
  const plain = (text: string) => {
    const split = splitNumbered(text);
    return split === undefined ? text : [split.lines.join("\n"), split.rest].filter((part) => part !== "").join("\n");
  };
  if (typeof content === "string") return plain(content) as C;
  if (content === undefined) return content;
  return content.map((block) => (block.type === "text" && typeof block.text === "string" ? { ...block, text: plain(block.text) } : block)) as unknown as C;
}

interface CodeFence {
  /** Where the fence starts and ends in the text (its closing line included). */
  start: number;
  end: number;
  body: string;
  /** Labelled for code or unlabelled: not json, tool_call or the like. */
  code: boolean;
}

const DATA_LABEL = /^(?:json|jsonc|tool_calls?|function_calls?)$/i;

/** A file whose own language is JSON: a ```json block may be it rewritten (asked for config.json, the 1.5B labels it so). */
const DATA_FILE = /\.(?:json|jsonc)$/i;

/** The text's fenced blocks (``` or ~~~, closed by the same marker; an unclosed one is not counted: the answer may have been cut). */
function codeFences(text: string): CodeFence[] {
  const fences: CodeFence[] = [];
  const open = /^ {0,3}(`{3,}|~{3,})[ \t]*([^\s`]*)[^\n]*\n/gm;
  for (let match = open.exec(text); match !== null; match = open.exec(text)) {
    const marker = match[1]!;
    const bodyStart = match.index + match[0].length;
    const close = new RegExp(`^ {0,3}${marker[0] === "`" ? "`" : "~"}{${marker.length},}[ \\t]*$`, "m");
    const rest = text.slice(bodyStart);
    const closing = close.exec(rest);
    if (closing === null) break;
    const end = bodyStart + closing.index + closing[0].length;
    fences.push({ start: match.index, end, body: rest.slice(0, closing.index).replace(/\n$/, ""), code: !DATA_LABEL.test(match[2]!) });
    open.lastIndex = end;
  }
  return fences;
}

/** The share of the file's distinct non-blank lines (compared as `comparable`) that are among the block's: 1 for an empty file. */
function keptShare(block: string, file: string): number {
  const fileLines = new Set(nonBlankLines(file));
  if (fileLines.size === 0) return 1;
  const blockLines = new Set(nonBlankLines(block));
  let shared = 0;
  for (const line of fileLines) if (blockLines.has(line)) shared++;
  return shared / fileLines.size;
}

/** Every place `name` stands as a whole word of code. */
export function wholeWord(name: string): RegExp {
  return new RegExp(`(?<![\\w$])${name.replace(/\$/g, "\\$")}(?![\\w$])`, "g");
}

function nonBlankLines(text: string): string[] {
  return text
    .split("\n")
    .map(comparable)
    .filter((line) => line !== "");
}

/**
 * A line as its words stand: trimmed, without a docstring's quotes or a doc comment's markers at its
 * ends, which a rewrite may move onto lines of their own. The real Qwen2.5-Coder-1.5B, asked to
 * implement the four-line stub roman.py, wrote it whole with the docstring's `"""` on lines of their
 * own: one line in four kept as it stood, and the answer stayed text.
 */
function comparable(line: string): string {
  return line.trim().replace(DELIMITERS_FIRST, "").replace(DELIMITERS_LAST, "").trim();
}

const DELIMITERS_FIRST = /^(?:"""|'''|\/\*\*?|\*(?=\s|$))/;
const DELIMITERS_LAST = /(?:"""|'''|\*\/)$/;

function sameText(a: string, b: string): boolean {
  return a.trimEnd() === b.trimEnd();
}

function withFinalNewline(text: string): string {
  return text.endsWith("\n") ? text : `${text}\n`;
}
