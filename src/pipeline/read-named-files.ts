import type { CompiledProfile } from "../compile/routing-table.js";
import type { AnthropicCustomTool, AnthropicMessage, AnthropicMessageParam, MessagesRequest } from "../translate/anthropic-types.js";
import { ownText } from "../router/own-text.js";
import { workingDirectoryOf } from "../trim/relative-context-paths.js";
import { READ_TOOL } from "../translate/tool-calls/whole-file-write.js";
import { modelChoosesCalls } from "./model-chooses-calls.js";

/**
 * `tools.read_named_files`: a user's request that names files in the project ("Implement `to_roman`
 * in roman.py…", "Fix the bug in stats.py…") is answered by mallex itself, without the model, with a
 * Read of each named file the conversation has not read yet; the model is asked once their contents
 * are in the conversation. The real Qwen2.5-Coder-1.5B, asked such a task, answered without looking
 * (a code block of a function it had never seen, a JSON "call" of that function, a Write of a file it
 * had not read, which Claude Code refuses) in every run of the shipped eval's edit tasks; with the
 * file read, it answered with the whole file implemented. A file that does not exist (one the user
 * asks for) costs one Read that says so. Up to MAX_FILES files, in the order named.
 */
export const MAX_FILES = 3;

/** A name with a source or data extension, as a user writes one: `roman.py`, tools/fingerprint.js, "./a/b.ts". */
export const FILE_NAME =
  /(?<![\w./-])((?:\.{1,2}\/)?(?:[\w.-]+\/)*[\w.-]*\w\.(?:py|js|mjs|cjs|ts|tsx|jsx|json|yaml|yml|toml|md|txt|sh|go|rs|java|kt|c|h|cc|cpp|hpp|rb|php|cs|swift|css|scss|html|sql|ini|cfg|csv))(?![\w/-])/g;

/** The Read calls that answer this request, or undefined where the lever does not apply. */
export function readNamedFiles(
  profile: Pick<CompiledProfile, "readNamedFiles">,
  request: MessagesRequest,
  offeredTools: readonly AnthropicCustomTool[],
): string[] | undefined {
  if (profile.readNamedFiles !== true || !modelChoosesCalls(request)) return undefined;
  if (!offeredTools.some((tool) => tool.name === READ_TOOL)) return undefined;
  // Claude Code sends its `role: "system"` messages (the agents' list, a tool offered) after the user's.
  const last = request.messages.findLast((message) => message.role !== "system");
  if (last?.role !== "user") return undefined;
  const words = usersWords(last);
  if (words === undefined) return undefined;
  const system = typeof request.system === "string" ? request.system : (request.system ?? []).map((block) => block.text).join("\n");
  const folder = workingDirectoryOf(system, []);
  if (folder === undefined) return undefined;
  const read = readPaths(request.messages);
  const paths: string[] = [];
  for (const match of words.matchAll(FILE_NAME)) {
    const path = absolute(folder, match[1]!);
    if (!read.has(path) && !paths.includes(path)) paths.push(path);
    if (paths.length === MAX_FILES) break;
  }
  return paths.length === 0 ? undefined : paths;
}

/**
 * The answer mallex gives instead of the model: a Read of each file (`ids`: the message's, then one per
 * file), nothing generated, so no tokens counted.
 */
export function namedFileReads(paths: readonly string[], model: string, ids: { message: string; calls: readonly string[] }): AnthropicMessage {
  return {
    id: ids.message,
    type: "message",
    role: "assistant",
    model,
    content: paths.map((path, at) => ({ type: "tool_use" as const, id: ids.calls[at]!, name: READ_TOOL, input: { file_path: path } })),
    stop_reason: "tool_use",
    stop_sequence: null,
    usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } as AnthropicMessage["usage"],
  };
}

/** The user's own words in a message that is their prompt (not a tool result), Claude Code's reminders left out (ownText); undefined where they wrote none. */
export function usersWords(message: AnthropicMessageParam): string | undefined {
  if (typeof message.content !== "string" && message.content.some((block) => block.type === "tool_result")) return undefined;
  const words = ownText(typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content);
  return words === "" ? undefined : words;
}

/** Every file a Read of the conversation asked for. */
function readPaths(messages: readonly AnthropicMessageParam[]): Set<string> {
  const paths = new Set<string>();
  for (const message of messages) {
    if (typeof message.content === "string") continue;
    for (const block of message.content) {
      const path = block.type === "tool_use" && block.name === READ_TOOL ? (block.input as { file_path?: unknown }).file_path : undefined;
      if (typeof path === "string") paths.add(path);
    }
  }
  return paths;
}

function absolute(folder: string, name: string): string {
  const parts = folder.split("/");
  for (const part of name.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== "." && part !== "") parts.push(part);
  }
  return parts.join("/");
}
