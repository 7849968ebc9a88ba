import type { CompiledProfile } from "../../compile/routing-table.js";
import type { AnthropicCustomTool, MessagesRequest } from "../../translate/anthropic-types.js";
import { replyTool } from "../../translate/tool-calls/reply-tool.js";
import { repeatedCalls } from "../../translate/tool-calls/repeated-call-hint.js";
import { customTools } from "../../translate/tool-calls/resolve-tool-call.js";
import { modelChoosesCalls } from "./model-chooses-calls.js";

/** The request as the model is asked it, the client's choice as mallex keeps it, and the tools a call may name. */
export interface Action {
  sent: MessagesRequest;
  asked: MessagesRequest;
  offeredTools: readonly AnthropicCustomTool[];
}

/**
 * A profile's `tools.always_call` on one request: where the client offers tools and leaves the choice
 * to the model (no tool_choice, or auto) and wants no JSON answer, the model is asked for a call of
 * one of them or of the Reply tool (its words: see reply-tool.ts), as a forced tool_choice is asked
 * for; a tool the model called the same way in its last two turns is withheld for this one.
 * Undefined where it does not apply.
 */
export function requireAction(
  profile: Pick<CompiledProfile, "alwaysCall">,
  client: MessagesRequest,
  trimmed: MessagesRequest,
  offeredTools: readonly AnthropicCustomTool[],
): Action | undefined {
  if (profile.alwaysCall !== true || !modelChoosesCalls(client)) return undefined;
  const tools = customTools(trimmed.tools);
  if (tools.length === 0) return undefined;
  const reply = replyTool();
  if (tools.some((tool) => tool.name === reply.name)) return undefined;
  const any = { type: "any" } as const;
  // Held to a call, a model in a loop cannot stop by itself: the tool it repeats is withheld this turn.
  const repeated = new Set(repeatedCalls(client.messages) ?? []);
  const offered = (trimmed.tools ?? []).filter((tool) => !repeated.has(tool.name));
  return {
    sent: { ...trimmed, tools: [...offered, reply], tool_choice: any },
    asked: { ...client, tool_choice: any },
    offeredTools: [...offeredTools, reply],
  };
}
