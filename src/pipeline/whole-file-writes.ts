import type { CompiledProfile } from "../compile/routing-table.js";
import { countToolCall, type RequestMetrics } from "../observe/request-log.js";
import type { AnthropicCustomTool, AnthropicMessage, MessagesRequest } from "../translate/anthropic-types.js";
import { readFiles, wholeFileWrite, WRITE_TOOL, type ReadFile } from "../translate/tool-calls/whole-file-write.js";
import { modelChoosesCalls } from "./model-chooses-calls.js";

/** How the repair is named in the log line and the eval's counts. */
export const WHOLE_FILE_REPAIR = "a whole file in a code block → Write";

/**
 * A profile's `tools.whole_file_writes` on one request: where the client offers Write, leaves the
 * choice to the model (no tool_choice, or auto), wants no JSON answer, and the conversation has read
 * files the model may write again: those files, or undefined where it does not apply. The answer is
 * then read whole and, where it is one of them rewritten in a code block, made its Write
 * (whole-file-write.ts).
 */
export function planWholeFileWrite(
  profile: Pick<CompiledProfile, "wholeFileWrites">,
  asked: MessagesRequest,
  offeredTools: readonly AnthropicCustomTool[],
): readonly ReadFile[] | undefined {
  if (profile.wholeFileWrites !== true || !modelChoosesCalls(asked)) return undefined;
  if (!offeredTools.some((tool) => tool.name === WRITE_TOOL)) return undefined;
  const files = readFiles(asked.messages);
  return files.length === 0 ? undefined : files;
}

/** The answer as the Write it stands for, counted as a repaired call; else the answer as it came. */
export function writeWholeFile(answer: AnthropicMessage, files: readonly ReadFile[], id: () => string, metrics: RequestMetrics): AnthropicMessage {
  const written = wholeFileWrite(answer, files, id());
  if (written === undefined) return answer;
  countToolCall(metrics, { rejected: false, repairs: [WHOLE_FILE_REPAIR] });
  return written;
}
