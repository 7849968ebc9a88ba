import type { ErrorObject } from "ajv";
import type { ValidateFunction } from "../../generated/validate-messages.mjs";
import type { MessagesRequest } from "../translate/anthropic-types.js";
import { jsonDepthExceeds, MAX_JSON_DEPTH } from "./check-json-depth.js";

export type MessagesBodyCheck = { ok: true; request: MessagesRequest } | { ok: false; message: string };

/**
 * Parses and checks a POST /v1/messages body; the message names the field the way the API does.
 * count_tokens bodies are the same minus max_tokens.
 */
export function checkMessagesBody(text: string, validate: ValidateFunction, options: { forCounting?: boolean } = {}): MessagesBodyCheck {
  if (jsonDepthExceeds(text)) return { ok: false, message: `The request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep.` };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `The request body is not valid JSON: ${(error as Error).message}` };
  }
  if (options.forCounting && body !== null && typeof body === "object" && !("max_tokens" in body)) body = { ...body, max_tokens: 0 };
  if (validate(body)) return { ok: true, request: body as MessagesRequest };
  // Of the alternatives a failed anyOf tried, the deepest error is the one that names the real problem.
  const error = [...(validate.errors ?? [])].sort((a, b) => b.instancePath.length - a.instancePath.length)[0];
  return { ok: false, message: error ? describe(error) : "The request body is not a valid Messages API request." };
}

function describe(error: ErrorObject): string {
  const path = error.instancePath.split("/").slice(1).join(".");
  const params = error.params as Record<string, unknown>;
  const field = error.keyword === "required" ? [path, String(params.missingProperty)].filter(Boolean).join(".") : path || "body";
  switch (error.keyword) {
    case "required":
      return `${field}: Field required`;
    case "enum":
      return `${field}: Input should be ${(params.allowedValues as unknown[]).map((v) => `'${String(v)}'`).join(", ")}`;
    case "type":
      return `${field}: Input should be a valid ${String(params.type)}`;
    case "anyOf":
      return `${field}: Input should be a string or a list of content blocks`;
    case "minimum":
      return `${field}: Input should be greater than or equal to ${String(params.limit)}`;
    case "maximum":
      return `${field}: Input should be less than or equal to ${String(params.limit)}`;
    default:
      return `${field}: ${error.message ?? "is invalid"}`;
  }
}
