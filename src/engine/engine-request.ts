/**
 * The OpenAI Chat Completions request as the engine reads it: lenient where servers are lenient
 * (content as string or parts, unknown fields ignored), strict where a wrong value would silently
 * change the answer (roles, tool calls, numbers out of range) — those are a 400 naming the field.
 */
export interface EngineToolCall {
  id: string;
  name: string;
  /** Parsed arguments (servers send them as a JSON string). */
  arguments: unknown;
}

export type EngineMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string }
  | { role: "assistant"; content: string; toolCalls: EngineToolCall[] }
  | { role: "tool"; toolCallId: string; content: string };

export interface EngineTool {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
}

export type EngineToolChoice = { type: "auto" } | { type: "none" } | { type: "required" } | { type: "function"; name: string };

export interface EngineRequest {
  messages: EngineMessage[];
  tools: EngineTool[];
  toolChoice: EngineToolChoice;
  /** json_schema: the answer must match it; json_object: any JSON object. */
  responseFormat?: { type: "json_schema"; schema: Record<string, unknown> } | { type: "json_object" };
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  repeatPenalty?: number;
  seed?: number;
  stop: string[];
  stream: boolean;
  includeUsage: boolean;
  /** false: no thinking (chat_template_kwargs.enable_thinking). */
  enableThinking?: boolean;
}

export class EngineRequestError extends Error {
  override readonly name = "EngineRequestError";
  constructor(
    readonly param: string,
    message: string,
    /** More fields for the error object (llama-server's n_prompt_tokens / n_ctx on a context overflow). */
    readonly details: Record<string, number> = {},
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

export function parseEngineRequest(body: unknown): EngineRequest {
  if (!isObject(body)) throw new EngineRequestError("body", "the request body must be a JSON object");
  if (!Array.isArray(body.messages) || body.messages.length === 0) throw new EngineRequestError("messages", "messages must be a non-empty array");
  const messages = body.messages.map((m, i) => parseMessage(m, `messages[${i}]`));
  const tools = body.tools === undefined || body.tools === null ? [] : parseTools(body.tools);
  const toolChoice = parseToolChoice(body.tool_choice, tools);
  const request: EngineRequest = {
    messages,
    tools,
    toolChoice,
    stop: parseStop(body.stop),
    stream: body.stream === true,
    includeUsage: isObject(body.stream_options) && body.stream_options.include_usage === true,
  };
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens !== undefined && maxTokens !== null) request.maxTokens = integer(maxTokens, "max_tokens", 0);
  setNumber(request, "temperature", body.temperature, "temperature", 0, 2);
  setNumber(request, "topP", body.top_p, "top_p", 0, 1);
  if (body.top_k !== undefined && body.top_k !== null) request.topK = integer(body.top_k, "top_k", 0);
  setNumber(request, "minP", body.min_p, "min_p", 0, 1);
  setNumber(request, "repeatPenalty", body.repetition_penalty ?? body.repeat_penalty, "repetition_penalty", 0, 10);
  if (body.seed !== undefined && body.seed !== null) request.seed = integer(body.seed, "seed", 0);
  if (isObject(body.chat_template_kwargs) && typeof body.chat_template_kwargs.enable_thinking === "boolean") {
    request.enableThinking = body.chat_template_kwargs.enable_thinking;
  }
  const format = body.response_format;
  if (isObject(format)) {
    if (format.type === "json_schema") {
      const schema = isObject(format.json_schema) ? format.json_schema.schema : undefined;
      if (!isObject(schema))
        throw new EngineRequestError("response_format.json_schema.schema", "response_format json_schema needs json_schema.schema (an object)");
      request.responseFormat = { type: "json_schema", schema };
    } else if (format.type === "json_object") {
      request.responseFormat = { type: "json_object" };
    } else if (format.type !== "text") {
      throw new EngineRequestError("response_format.type", `response_format.type must be text, json_object or json_schema, got ${JSON.stringify(format.type)}`);
    }
  }
  return request;
}

function parseMessage(value: unknown, path: string): EngineMessage {
  if (!isObject(value)) throw new EngineRequestError(path, `${path} must be an object`);
  const content = textOf(value.content, `${path}.content`);
  switch (value.role) {
    case "system":
    case "developer":
      return { role: "system", content };
    case "user":
      return { role: "user", content };
    case "assistant": {
      const calls = Array.isArray(value.tool_calls) ? value.tool_calls : [];
      return { role: "assistant", content, toolCalls: calls.map((call, i) => parseToolCall(call, `${path}.tool_calls[${i}]`)) };
    }
    case "tool":
      if (typeof value.tool_call_id !== "string") throw new EngineRequestError(`${path}.tool_call_id`, `${path} (role tool) needs tool_call_id`);
      return { role: "tool", toolCallId: value.tool_call_id, content };
    default:
      throw new EngineRequestError(`${path}.role`, `${path}.role must be system, user, assistant or tool, got ${JSON.stringify(value.role)}`);
  }
}

function textOf(content: unknown, path: string): string {
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) throw new EngineRequestError(path, `${path} must be a string or an array of parts`);
  return content
    .map((part, i) => {
      if (isObject(part) && part.type === "text" && typeof part.text === "string") return part.text;
      const type = isObject(part) ? part.type : typeof part;
      throw new EngineRequestError(`${path}[${i}]`, `${path}[${i}] is a ${JSON.stringify(type)} part; this model takes text only`);
    })
    .join("");
}

function parseToolCall(value: unknown, path: string): EngineToolCall {
  if (!isObject(value) || !isObject(value.function) || typeof value.function.name !== "string") {
    throw new EngineRequestError(path, `${path} must be {id, type: "function", function: {name, arguments}}`);
  }
  const raw = value.function.arguments;
  let args: unknown = {};
  if (typeof raw === "string" && raw.trim() !== "") {
    try {
      args = JSON.parse(raw);
    } catch {
      throw new EngineRequestError(`${path}.function.arguments`, `${path}.function.arguments is not valid JSON`);
    }
  } else if (isObject(raw)) {
    args = raw;
  }
  return { id: typeof value.id === "string" ? value.id : `call_${path}`, name: value.function.name, arguments: args };
}

function parseTools(value: unknown): EngineTool[] {
  if (!Array.isArray(value)) throw new EngineRequestError("tools", "tools must be an array");
  return value.map((tool, i) => {
    const fn = isObject(tool) ? tool.function : undefined;
    if (!isObject(fn) || typeof fn.name !== "string" || fn.name === "")
      throw new EngineRequestError(`tools[${i}]`, `tools[${i}] must be {type: "function", function: {name, parameters}}`);
    return {
      name: fn.name,
      ...(typeof fn.description === "string" ? { description: fn.description } : {}),
      parameters: isObject(fn.parameters) ? fn.parameters : { type: "object", properties: {} },
    };
  });
}

function parseToolChoice(value: unknown, tools: EngineTool[]): EngineToolChoice {
  if (value === undefined || value === null || value === "auto") return { type: "auto" };
  if (value === "none") return { type: "none" };
  if (value === "required") {
    if (tools.length === 0) throw new EngineRequestError("tool_choice", 'tool_choice "required" needs tools');
    return { type: "required" };
  }
  if (isObject(value) && isObject(value.function) && typeof value.function.name === "string") {
    const name = value.function.name;
    if (!tools.some((t) => t.name === name))
      throw new EngineRequestError("tool_choice.function.name", `tool_choice names ${JSON.stringify(name)}, which is not in tools`);
    return { type: "function", name };
  }
  throw new EngineRequestError("tool_choice", 'tool_choice must be "auto", "none", "required" or {type: "function", function: {name}}');
}

function parseStop(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === "string") return value === "" ? [] : [value];
  if (Array.isArray(value) && value.every((s) => typeof s === "string")) return value.filter((s) => s !== "");
  throw new EngineRequestError("stop", "stop must be a string or an array of strings");
}

function setNumber<K extends "temperature" | "topP" | "minP" | "repeatPenalty">(
  request: EngineRequest,
  key: K,
  value: unknown,
  param: string,
  min: number,
  max: number,
): void {
  if (value === undefined || value === null) return;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max)
    throw new EngineRequestError(param, `${param} must be a number from ${min} to ${max}`);
  request[key] = value;
}

function integer(value: unknown, param: string, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) throw new EngineRequestError(param, `${param} must be an integer ≥ ${min}`);
  return value;
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
