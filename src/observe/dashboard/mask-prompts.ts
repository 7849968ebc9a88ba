import type { LastRequestFiles } from "../format-last-request.js";

/** Keys whose string values are what the user or the model wrote, in Anthropic's and OpenAI's request shapes. */
const PROMPT_KEYS = new Set(["text", "content", "system", "thinking", "arguments", "input", "partial_json", "description", "prompt", "stop", "stop_sequences"]);

/**
 * Pure: the explanation with every prompt text replaced by its length (`‹1234 chars›`), for a
 * dashboard without observability.dashboard_prompts: numbers, names and structure stay.
 */
export function maskPrompts(files: LastRequestFiles): LastRequestFiles {
  return {
    "request.json": maskJson(files["request.json"]),
    "upstream.json": maskJson(files["upstream.json"]),
    "route.json": files["route.json"],
    "response.json": files["response.json"],
  };
}

function maskJson(text: string): string {
  try {
    return `${JSON.stringify(mask(JSON.parse(text) as unknown, false), null, 2)}\n`;
  } catch {
    return `‹${text.length} chars›\n`;
  }
}

/**
 * Keys whose values are the client's data whatever their shape: a tool call's input (its keys too:
 * `{"the secret path": …}` is as private as its values), a request's `metadata` (`user_id`), and
 * the values a tool's schema enumerates or defaults to (a project's branch names, hosts, people).
 */
const OPAQUE_KEYS = new Set(["input", "metadata", "enum", "const", "default", "examples"]);

/** `inPrompt`: under a prompt key, where every string is text (a content block's fields included) — but a block's `type` stays. */
function mask(value: unknown, inPrompt: boolean): unknown {
  if (typeof value === "string") return inPrompt ? `‹${value.length} chars›` : value;
  if (Array.isArray(value)) return value.map((item) => mask(item, inPrompt));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (OPAQUE_KEYS.has(key)) {
      out[key] = maskOpaque(item);
      continue;
    }
    // A body that is not JSON is kept as its text: all of it may be prompt.
    const prompt = PROMPT_KEYS.has(key) || (key === "body" && typeof item === "string");
    out[key] =
      inPrompt && (key === "type" || key === "role" || key === "name" || key === "id" || key === "tool_use_id") ? item : mask(item, inPrompt || prompt);
  }
  return out;
}

/** Every string masked and every key numbered: only the shape and the numbers stay. */
function maskOpaque(value: unknown): unknown {
  if (typeof value === "string") return `‹${value.length} chars›`;
  if (Array.isArray(value)) return value.map(maskOpaque);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.values(value).map((item, index) => [`‹key ${index + 1}›`, maskOpaque(item)]));
}
