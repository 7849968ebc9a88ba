// @ts-check
/**
 * Body parsing and parameter validation of `APIHandler.do_POST` in mlx_lm/server.py (0.32.2).
 * Outcomes: a JSON error reply (400: bad JSON, not an object, a wrong parameter, no messages), a
 * "drop" (an uncaught Python exception — a body that is not UTF-8 — closes the socket with no HTTP
 * response at all) or the parsed generation parameters. 0.32.0 let a wrong parameter escape as an
 * uncaught exception (a drop); the real 0.32.2 answers 400 `{"error": …}` (test/real-mlx-server.test.ts).
 */
import { isTruthyPython, topLevelNumberKinds } from "./python-json.js";

/** @typedef {import("../mlx-lm-server.js").GenerationParams} GenerationParams */
/**
 * @typedef {{ kind: "reply", status: number, error: string, body: unknown }
 *   | { kind: "drop", reason: string, body: unknown }
 *   | { kind: "ok", body: Record<string, unknown>, params: GenerationParams }} ParsedRequest
 */

/**
 * `[key, accepted types, min, max, optional, whitelist]`, in the server's validation order.
 * `int` accepts booleans (a Python bool is an int); `float` accepts only literals with a
 * fraction or exponent; `number` is `(float, int)`.
 * @type {ReadonlyArray<[string, "bool" | "int" | "number" | "float" | "str" | "dict", number?, number?, boolean?, number?]>}
 */
const CHECKS = [
  ["stream", "bool"],
  ["max_tokens", "int", 1],
  ["temperature", "number", 0],
  ["top_p", "number", 0, 1],
  ["top_k", "int", 0],
  ["min_p", "number", 0, 1],
  ["num_draft_tokens", "int", 0],
  ["repetition_penalty", "number", 0],
  ["repetition_context_size", "int", 0],
  ["presence_penalty", "number"],
  ["presence_context_size", "int", 0],
  ["frequency_penalty", "number"],
  ["frequency_context_size", "int", 0],
  ["logprobs", "bool"],
  ["top_logprobs", "int", 0, 11, false, -1],
  ["xtc_probability", "float", 0, 1],
  ["xtc_threshold", "float", 0, 1],
  ["model", "str"],
  ["adapters", "str", undefined, undefined, true],
  ["seed", "int", undefined, undefined, true],
  ["logit_bias", "dict", undefined, undefined, true],
];

/** @type {Record<string, string>} Python's names for the accepted types, for messages. */
const TYPE_NAMES = {
  bool: "bool",
  int: "int",
  number: "('float', 'int')",
  float: "float",
  str: "str",
  dict: "dict",
};

/**
 * @param {Buffer} raw the request body, exactly Content-Length bytes
 * @param {"chat" | "text"} endpoint
 * @param {{ maxTokens: number }} defaults the server's CLI defaults
 * @returns {ParsedRequest}
 */
export function parseCompletionRequest(raw, endpoint, defaults) {
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
  } catch {
    return { kind: "drop", reason: "UnicodeDecodeError: 'utf-8' codec can't decode body", body: raw.toString("latin1") };
  }
  /** @type {unknown} */
  let body;
  try {
    body = JSON.parse(text);
  } catch (error) {
    const message = `Invalid JSON in request body: ${/** @type {Error} */ (error).message}`;
    return { kind: "reply", status: 400, error: message, body: text };
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return { kind: "reply", status: 400, error: "Request should be a JSON dictionary", body };
  }
  const fields = /** @type {Record<string, unknown>} */ (body);
  const kinds = topLevelNumberKinds(text);
  /** @param {string} key @param {unknown} fallback */
  const get = (key, fallback) => (key in fields ? fields[key] : fallback);

  const maxKey = get("max_completion_tokens", null) === null ? "max_tokens" : "max_completion_tokens";
  /** @type {Record<string, unknown>} */
  const values = {
    stream: get("stream", false),
    max_tokens: get(maxKey, defaults.maxTokens),
    temperature: get("temperature", 0),
    top_p: get("top_p", 1),
    top_k: get("top_k", 0),
    min_p: get("min_p", 0),
    num_draft_tokens: get("num_draft_tokens", 3),
    repetition_penalty: get("repetition_penalty", 0),
    repetition_context_size: get("repetition_context_size", 20),
    presence_penalty: get("presence_penalty", 0),
    presence_context_size: get("presence_context_size", 20),
    frequency_penalty: get("frequency_penalty", 0),
    frequency_context_size: get("frequency_context_size", 20),
    logprobs: get("logprobs", false),
    top_logprobs: get("top_logprobs", -1),
    xtc_probability: get("xtc_probability", 0.0),
    xtc_threshold: get("xtc_threshold", 0.0),
    model: get("model", "default_model"),
    adapters: get("adapters", null),
    seed: get("seed", null),
    logit_bias: get("logit_bias", null),
  };
  /** @type {(key: string) => "int" | "float"} */
  const kindOf = (key) => {
    const source = key === "max_tokens" ? maxKey : key;
    return source in fields ? (kinds.get(source) ?? "int") : key.startsWith("xtc_") ? "float" : "int";
  };

  for (const [key, type, min, max, optional, allowed] of CHECKS) {
    const value = values[key];
    if (optional && value === null) continue;
    const name = key === "model" ? "requested_model" : key === "adapters" ? "adapter" : key;
    if (!hasPythonType(value, type, kindOf(key))) {
      return { kind: "reply", status: 400, error: `${name} must be of type ${TYPE_NAMES[type]}`, body };
    }
    if (allowed !== undefined && value === allowed) continue;
    const n = Number(value);
    if (min !== undefined && n < min) return { kind: "reply", status: 400, error: `${name} must be at least ${min}`, body };
    if (max !== undefined && n > max) return { kind: "reply", status: 400, error: `${name} must be at most ${max}`, body };
  }
  const bias = values.logit_bias;
  if (bias !== null && !isValidLogitBias(/** @type {Record<string, unknown>} */ (bias))) {
    return { kind: "reply", status: 400, error: "logit_bias must be a dict of int to float", body };
  }
  const required = endpoint === "chat" ? "messages" : "prompt";
  if (!(required in fields)) {
    const what = endpoint === "chat" ? "messages" : "a prompt";
    // The request factory's assert is caught with every other exception there: a 400.
    return { kind: "reply", status: 400, error: `Request did not contain ${what}`, body };
  }

  const stop = get("stop", null);
  return {
    kind: "ok",
    body: fields,
    params: {
      stream: /** @type {boolean} */ (values.stream),
      includeUsage: readIncludeUsage(get("stream_options", null)),
      model: /** @type {string} */ (values.model),
      maxTokens: Number(values.max_tokens),
      stopWords: typeof stop === "string" ? [stop] : Array.isArray(stop) ? stop.filter((s) => typeof s === "string" && s) : [],
      enableThinking: readEnableThinking(get("chat_template_kwargs", null)),
    },
  };
}

/**
 * @param {unknown} value
 * @param {"bool" | "int" | "number" | "float" | "str" | "dict"} type
 * @param {"int" | "float"} kind how the number literal was written
 */
function hasPythonType(value, type, kind) {
  switch (type) {
    case "bool":
      return typeof value === "boolean";
    case "int":
      return typeof value === "boolean" || (typeof value === "number" && kind === "int");
    case "number":
      return typeof value === "boolean" || typeof value === "number";
    case "float":
      return typeof value === "number" && kind === "float";
    case "str":
      return typeof value === "string";
    case "dict":
      return value !== null && typeof value === "object" && !Array.isArray(value);
  }
}

/** `{int(k): float(v) for k, v in logit_bias.items()}` must not raise. @param {Record<string, unknown>} bias */
function isValidLogitBias(bias) {
  return Object.entries(bias).every(
    ([k, v]) =>
      /^\s*[-+]?\d+\s*$/.test(k) && (typeof v === "number" || typeof v === "boolean" || (typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v)))),
  );
}

/**
 * `stream_options["include_usage"]`, read after the last chunk: `"error"` when that lookup
 * raises (no such key, or not a dict), which ends the stream without `[DONE]`.
 * @param {unknown} options
 * @returns {boolean | "error"}
 */
function readIncludeUsage(options) {
  if (options === null) return false;
  if (typeof options !== "object" || Array.isArray(options) || !("include_usage" in options)) return "error";
  return isTruthyPython(/** @type {Record<string, unknown>} */ (options).include_usage);
}

/** @param {unknown} kwargs @returns {boolean | undefined} */
function readEnableThinking(kwargs) {
  if (kwargs === null || typeof kwargs !== "object" || !("enable_thinking" in kwargs)) return undefined;
  return isTruthyPython(/** @type {Record<string, unknown>} */ (kwargs).enable_thinking);
}
