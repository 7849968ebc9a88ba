import type { CompiledProfile } from "../../compile/routing-table.js";
import type { AnthropicCustomTool, AnthropicMessage, AnthropicToolUseBlock, MessagesRequest } from "../../translate/anthropic-types.js";
import { workingDirectoryOf } from "../../trim/relative-context-paths.js";
import { READ_TOOL } from "../../translate/tool-calls/whole-file-write.js";
import { modelChoosesCalls } from "../model-chooses-calls.js";
import { namedFiles, readPaths, usersWords } from "./read-named-files.js";
import { namedCommands } from "./run-named-commands.js";

const BASH_TOOL = "Bash";

/**
 * What mallex looks at for the model before it is asked a user's request: the commands the request
 * asks to run (tools.run_named_commands) and the files it names (tools.read_named_files), where the
 * profile turns them on and the client offers Bash and Read.
 */
export interface FirstLook {
  readonly commands: readonly string[];
  readonly reads: readonly string[];
}

/** The first look that answers this request, or undefined where there is nothing to look at (the model is asked). */
export function firstLook(
  profile: Pick<CompiledProfile, "readNamedFiles" | "runNamedCommands">,
  request: MessagesRequest,
  offeredTools: readonly AnthropicCustomTool[],
): FirstLook | undefined {
  const offered = (name: string) => offeredTools.some((tool) => tool.name === name);
  const run = profile.runNamedCommands === true && offered(BASH_TOOL);
  const read = profile.readNamedFiles === true && offered(READ_TOOL);
  if ((!run && !read) || !modelChoosesCalls(request)) return undefined;
  // Claude Code sends its `role: "system"` messages (the agents' list, a tool offered) after the user's.
  const last = request.messages.findLast((message) => message.role !== "system");
  if (last?.role !== "user") return undefined;
  const words = usersWords(last);
  if (words === undefined) return undefined;
  const commands = run ? namedCommands(words) : [];
  const system = typeof request.system === "string" ? request.system : (request.system ?? []).map((block) => block.text).join("\n");
  const folder = workingDirectoryOf(system, []);
  const reads = read && folder !== undefined ? namedFiles(words, folder, readPaths(request.messages), commands) : [];
  return commands.length + reads.length === 0 ? undefined : { commands, reads };
}

/**
 * The answer mallex gives instead of the model: each command's Bash, then each file's Read (`ids`: the
 * message's, then one per call), nothing generated, so no tokens counted.
 */
export function firstLookAnswer(look: FirstLook, model: string, ids: { message: string; calls: readonly string[] }): AnthropicMessage {
  const calls = [
    ...look.commands.map((command) => ({ name: BASH_TOOL, input: { command } })),
    ...look.reads.map((path) => ({ name: READ_TOOL, input: { file_path: path } })),
  ];
  return {
    id: ids.message,
    type: "message",
    role: "assistant",
    model,
    content: calls.map((call, at): AnthropicToolUseBlock => ({ type: "tool_use", id: ids.calls[at]!, ...call })),
    stop_reason: "tool_use",
    stop_sequence: null,
    usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } as AnthropicMessage["usage"],
  };
}

/** The request's log line for it: `Bash `npm test`, Read /repo/a.py, named in the request (tools.…)`. */
export function describeFirstLook(look: FirstLook): string {
  const calls = [...look.commands.map((command) => `Bash \`${command}\``), ...(look.reads.length > 0 ? [`Read ${look.reads.join(", ")}`] : [])];
  const levers = [...(look.commands.length > 0 ? ["tools.run_named_commands"] : []), ...(look.reads.length > 0 ? ["tools.read_named_files"] : [])];
  return `${calls.join(", ")}, named in the request (${levers.join(", ")})`;
}
