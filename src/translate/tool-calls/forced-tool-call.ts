/**
 * A forced tool_choice (`any`, or `tool` with a name) on a server that does not enforce it: the model
 * was only asked in words, so its answer is checked before the client sees it, and a wrong answer is
 * asked for again, stating what was wrong, up to the profile's `forced_call_retries`. The Messages API
 * promises a `tool_use` for a forced choice (the client may run it without looking), so an answer
 * that never makes the call becomes an `api_error` naming the tool and the attempts, never an
 * `end_turn` without the call: the SDKs would take that as an answer (the Vercel AI SDK then throws
 * AI_ToolChoiceViolationError, LangChain finds "no parseable tool calls"). What the server enforces
 * by grammar or by OpenAI's tool_choice needs no check (see server-features).
 */
import type { AnthropicCustomTool, AnthropicMessage, AnthropicToolChoice } from "../anthropic-types.js";
import type { OpenAIChatMessage, OpenAIChatRequest } from "../openai-types.js";
import { readInvalidCallReasons } from "./resolve-tool-call.js";
import type { ServerFeatures } from "../translate-options.js";
import { wrapSystemReminder } from "../convert-anthropic-messages.js";

export type ForcedToolChoice = Extract<AnthropicToolChoice, { type: "any" | "tool" }>;

/** The forced choice mallex has to check itself, or undefined when there is none or the server enforces it. */
export function unenforcedForcedChoice(
  choice: AnthropicToolChoice | undefined,
  features: ServerFeatures | undefined,
  toolMode: "native" | "xml",
): ForcedToolChoice | undefined {
  if (choice?.type !== "any" && choice?.type !== "tool") return undefined;
  // In xml mode the tools live in the prompt: no server can enforce a call it does not know of.
  if (toolMode === "xml") return choice;
  // A server that only takes "required" enforces a named tool too: it is offered that tool alone.
  const enforced = features?.requiredToolChoice === true || (choice.type === "tool" && features?.namedToolChoice === true);
  return enforced ? undefined : choice;
}

/** What is wrong with an answer to a forced tool_choice, or undefined when it makes the call asked for. */
export function forcedCallProblem(message: AnthropicMessage, choice: ForcedToolChoice): string | undefined {
  const calls = message.content.filter((block) => block.type === "tool_use");
  if (calls.some((call) => choice.type === "any" || call.name === choice.name)) return undefined;
  const invalid = message.content.flatMap((block) => (block.type === "text" ? readInvalidCallReasons(block.text) : []));
  if (invalid.length > 0) return `the tool call could not be run: ${invalid.join("; ")}`;
  return choice.type === "any" ? "the reply called no tool" : `the reply did not call "${choice.name}"`;
}

/**
 * Why the client gets an error instead of the answer: the call it forced, how often it was asked for,
 * what was wrong the last time, and what would keep it (a server that enforces tool_choice).
 */
export function forcedCallFailure(choice: ForcedToolChoice, attempts: number, problem: string, where: { profile: string; flavor: string }): string {
  const call = choice.type === "tool" ? `a call to the tool "${choice.name}"` : "a tool call";
  const times = attempts === 1 ? "1 attempt" : `${attempts} attempts`;
  return (
    `tool_choice ${choice.type} requires ${call}, and the model of profile ${where.profile} made none in ${times} (last: ${problem}). ` +
    `Its ${where.flavor} server cannot enforce tool_choice; a profile on llama-server, vLLM or the embedded engine can, or raise tools.forced_call_retries.`
  );
}

/**
 * The first request again, plus the model's answer and what was wrong with it. The tool's schema
 * is restated because that is what the model most often gets wrong, and small models forget it.
 */
export function correctiveRequest(
  request: OpenAIChatRequest,
  answer: AnthropicMessage,
  problem: string,
  choice: ForcedToolChoice,
  tools: readonly AnthropicCustomTool[],
): OpenAIChatRequest {
  const wanted = choice.type === "tool" ? tools.filter((tool) => tool.name === choice.name) : tools;
  const schemas = wanted.map((tool) => `${tool.name}: ${JSON.stringify(tool.input_schema)}`).join("\n");
  const target = choice.type === "tool" ? `the tool "${choice.name}"` : "one of the available tools";
  return withCorrection(
    request,
    answer,
    `Your previous reply was not accepted: ${problem}. Reply again with only a call to ${target}, with arguments that match its JSON schema:\n${schemas}`,
  );
}

/**
 * The first request again, plus the model's answer (its text: the call it wrote, or the note that
 * replaced it) and, as a reminder after it, what was wrong. Only the last answer goes back, so a
 * retry's prompt stays the first one's size plus one exchange.
 */
export function withCorrection(request: OpenAIChatRequest, answer: AnthropicMessage, correction: string): OpenAIChatRequest {
  const said = answer.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join("\n");
  const assistant: OpenAIChatMessage = { role: "assistant", content: said === "" ? "(no reply)" : said };
  const reminder: OpenAIChatMessage = { role: "user", content: wrapSystemReminder(correction) };
  return { ...request, messages: [...request.messages, assistant, reminder] };
}

/**
 * Why an answer from a server that enforces the forced choice still breaks the promise of a
 * `tool_use`, or undefined when it keeps it. A call cut at max_tokens or by a full context is the
 * API's own outcome too (its stop_reason says so), so only an answer that ended otherwise without
 * the call is wrong: the
 * embedded engine answers in text when its grammar's output does not parse, and a server that says
 * it enforces tool_choice may not for every model.
 */
export function enforcedCallMissing(
  choice: ForcedToolChoice,
  calledTools: readonly string[],
  stopReason: string | null,
  where: { profile: string; flavor: string },
): string | undefined {
  if (
    stopReason === "max_tokens" ||
    stopReason === "model_context_window_exceeded" ||
    calledTools.some((name) => choice.type === "any" || name === choice.name)
  )
    return undefined;
  const call = choice.type === "tool" ? `a call to the tool "${choice.name}"` : "a tool call";
  return `tool_choice ${choice.type} requires ${call}, and the model of profile ${where.profile} ended its answer (${stopReason ?? "no stop reason"}) without one, although its ${where.flavor} server was asked to enforce it.`;
}
