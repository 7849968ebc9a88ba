import { basename } from "node:path";
import type { AnthropicMessage, AnthropicMessageParam, AnthropicToolUseBlock } from "../anthropic-types.js";
import { jsonStringEnd } from "../../shared/json-text.js";
import { EDITING_TOOLS } from "./conversation-blocks.js";
import { editedFile, readFiles } from "./whole-file-write.js";

/**
 * A call of the model's that would leave a JSON file as text no JSON parser reads: a Write's content,
 * or the file the conversation shows once an Edit's (or a MultiEdit's) replacements are made in it.
 * Asked to fix config.json's trailing comma, the real Qwen2.5-Coder-0.5B wrote it whole with another
 * syntax error, greedy decoding and all; the 1.5B wrote a broken settings.json back still broken, and
 * then with its quotes escaped (`"users": [\"ana\"]`) (docs/eval.md). A package.json left so breaks
 * every npm command, and nothing tells the model until something runs: what the parser says, and
 * where, is what it needs to correct it.
 * A file that allows comments is JSONC, not JSON, and is not held to the parser: one the conversation
 * showed with a comment, and TypeScript's, JavaScript's and VS Code's own (tsconfig.json,
 * jsconfig.json, .vscode/, devcontainer.json). Pure.
 */
export interface InvalidJsonWrite {
  call: AnthropicToolUseBlock;
  path: string;
  /** The parser's words, with the line and column where it names a position: `line 4, column 1: expected double-quoted property name`. */
  error: string;
}

/** The answer's first call that would leave a JSON file unparsable (see InvalidJsonWrite); undefined where none would. */
export function invalidJsonWrite(answer: Pick<AnthropicMessage, "content">, messages: readonly AnthropicMessageParam[]): InvalidJsonWrite | undefined {
  return invalidJsonWritesAfter(messages)(answer);
}

/** invalidJsonWrite for each answer to one conversation, whose files are read once (a retry checks its answers again). */
export function invalidJsonWritesAfter(
  messages: readonly AnthropicMessageParam[],
): (answer: Pick<AnthropicMessage, "content">) => InvalidJsonWrite | undefined {
  const known = new Map(readFiles(messages).map(({ path, text }) => [path, text]));
  return (answer) => firstInvalidJsonWrite(answer, known);
}

function firstInvalidJsonWrite(answer: Pick<AnthropicMessage, "content">, known: ReadonlyMap<string, string>): InvalidJsonWrite | undefined {
  for (const call of answer.content) {
    if (call.type !== "tool_use" || !EDITING_TOOLS.has(call.name)) continue;
    const file = editedFile(call.name, call.input, known);
    if (file?.text === undefined || !JSON_FILE.test(file.path) || JSONC_FILE.test(file.path)) continue;
    const before = known.get(file.path);
    if (before !== undefined && hasComment(before)) continue;
    const error = jsonError(file.text);
    if (error !== undefined) return { call, path: file.path, error };
  }
  return undefined;
}

/**
 * What the model is told: the call, or (`fromCodeBlock`: mallex made the Write of its code block) the
 * file as it wrote it, is not valid JSON, where and why, and what to answer instead.
 */
export function invalidJsonCorrection({ call, path, error }: InvalidJsonWrite, fromCodeBlock: boolean): string {
  const name = basename(path);
  if (fromCodeBlock) return `${name} as you wrote it is not valid JSON (${error}). Answer with the whole of ${name} again, as valid JSON, in one code block.`;
  const again = call.name === "Write" ? `Write ${name} again, whole, as valid JSON.` : `Make the change again so that ${name} stays valid JSON.`;
  return `That ${call.name} would leave ${name} not valid JSON (${error}): it was not run. ${again}`;
}

/** The problem, in the log's words. */
export function describeInvalidJson({ call, path, error }: InvalidJsonWrite): string {
  return `its ${call.name} would leave ${path} not valid JSON (${error})`;
}

const JSON_FILE = /\.json$/i;
/** Files whose readers take comments (and trailing commas): JSONC by their tools' definition. */
const JSONC_FILE = /(?:^|[\\/])(?:(?:ts|js)config[^\\/]*\.json|\.vscode[\\/].*|\.?devcontainer\.json)$/i;

/** The parser's complaint, with its line and column where it names a position; undefined where the text parses. */
function jsonError(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const at = /^(.*?) in JSON at position (\d+)/.exec(message);
    if (at === null) return lowerFirst(message.replace(/ in JSON$/, ""));
    const before = text.slice(0, Number(at[2]));
    const line = before.split("\n").length;
    const column = before.length - before.lastIndexOf("\n");
    return `line ${line}, column ${column}: ${lowerFirst(at[1]!)}`;
  }
}

const lowerFirst = (text: string): string => text.charAt(0).toLowerCase() + text.slice(1);

/** Whether JSON-like text holds a `//` or `/*` comment outside its strings. */
function hasComment(text: string): boolean {
  for (let at = 0; at < text.length; at++) {
    if (text[at] === '"') at = jsonStringEnd(text, at);
    else if (text[at] === "/" && (text[at + 1] === "/" || text[at + 1] === "*")) return true;
  }
  return false;
}
