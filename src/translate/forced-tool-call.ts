/**
 * A forced tool_choice (`any`, or `tool` with a name) on a server that does not enforce it: the model
 * was only asked in words, so its answer is checked before the client sees it, and a wrong answer
 * gets one corrective retry that states what was wrong. What the server enforces by grammar or by
 * OpenAI's tool_choice needs no check (see server-features).
 */
import type { AnthropicCustomTool, AnthropicMessage, AnthropicToolChoice } from "./anthropic-types.js";
import type { OpenAIChatMessage, OpenAIChatRequest } from "./openai-types.js";
import { readInvalidCallReasons } from "./resolve-tool-call.js";
import type { ServerFeatures } from "./translate-options.js";
import { wrapSystemReminder } from "./convert-anthropic-messages.js";

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
  const enforced = choice.type === "any" ? features?.requiredToolChoice : features?.namedToolChoice;
  return enforced === true ? undefined : choice;
}

/** What is wrong with an answer to a forced tool_choice, or undefined when it makes the call asked for. */
export function forcedCallProblem(message: AnthropicMessage, choice: ForcedToolChoice): string | undefined {
  const calls = message.content.filter((block) => block.type === "tool_use");
  if (calls.some((call) => choice.type === "any" || call.name === choice.name)) return undefined;
  const invalid = message.content.flatMap((block) => (block.type === "text" ? readInvalidCallReasons(block.text) : []));
  if (invalid.length > 0) return `your tool call could not be run: ${invalid.join("; ")}`;
  return choice.type === "any" ? "your reply called no tool" : `your reply did not call "${choice.name}"`;
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
  const said = answer.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join("\n");
  const wanted = choice.type === "tool" ? tools.filter((tool) => tool.name === choice.name) : tools;
  const schemas = wanted.map((tool) => `${tool.name}: ${JSON.stringify(tool.input_schema)}`).join("\n");
  const target = choice.type === "tool" ? `the tool "${choice.name}"` : "one of the available tools";
  const correction: OpenAIChatMessage = {
    role: "user",
    content: wrapSystemReminder(
      `Your previous reply was not accepted: ${problem}. Reply again with only a call to ${target}, with arguments that match its JSON schema:\n${schemas}`,
    ),
  };
  const assistant: OpenAIChatMessage = { role: "assistant", content: said === "" ? "(no reply)" : said };
  return { ...request, messages: [...request.messages, assistant, correction] };
}
