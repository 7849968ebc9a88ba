import type { MessagesRequest } from "../../translate/anthropic-types.js";

/**
 * Whether a request leaves its calls to the model: no JSON answer asked for, and no tool_choice but
 * `auto`. Only then may a profile's tool levers (tools.always_call, retry_unknown_calls,
 * whole_file_writes, read_named_files) act for the model; a client's own choice is kept as it is.
 */
export function modelChoosesCalls(request: Pick<MessagesRequest, "output_config" | "tool_choice">): boolean {
  return request.output_config?.format === undefined && (request.tool_choice === undefined || request.tool_choice.type === "auto");
}
