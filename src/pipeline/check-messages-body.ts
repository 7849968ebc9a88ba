import type { ErrorObject } from "ajv";
import type { ValidateFunction } from "../../generated/validate-messages.mjs";
import type { PromptSource } from "../router/describe-request.js";
import type { MessagesRequest } from "../translate/anthropic-types.js";
import type { KnownPart, PrefixCache, PromptPart } from "../trim/prefix-cache.js";
import { MAX_JSON_DEPTH } from "../http/check-json-depth.js";
import { scanJsonBody, type FieldSpan } from "../http/scan-json-body.js";
import { formatNumber } from "../shared/format-number.js";
import { bodyText } from "../shared/read-body-text.js";
import { copyString } from "../shared/retention-limits.js";

/**
 * The longest `model` a request may name (real ones are under 100 characters; a local one may be a
 * long repository path): a 30 MB one cost a second of the event loop in the routing rules' globs.
 */
export const MAX_MODEL_CHARS = 1024;

export type MessagesBodyCheck = { ok: true; request: MessagesRequest; source: PromptSource } | { ok: false; message: string };

export interface MessagesBodyOptions {
  /** count_tokens: `max_tokens` may be missing. */
  forCounting?: boolean;
  /**
   * The server's prefix cache: a system prompt or tools whose JSON text it already holds passed this
   * same validation when they came first, so they are neither parsed nor walked again.
   */
  cache?: PrefixCache;
}

/**
 * Parses and checks a POST /v1/messages body; the message names the field the way the API does.
 * count_tokens bodies are the same minus max_tokens. One pass over the text before JSON.parse
 * checks its depth and finds where `system`, `messages` and `tools` are (the request's `source`).
 *
 * The body as its bytes (a body small enough to be read whole, see readLimitedBody) is read as
 * latin1 first, one character a byte, which costs a copy: the pass finds the parts the prefix cache
 * knows by their bytes, and only the rest is decoded as UTF-8. Decoding is what a Claude Code body
 * costs most (~0.25 ms for its 77 KB, a few non-ASCII characters making all of it two-byte text),
 * and ~70 KB of it are the system prompt and tools of the turn before.
 */
export function checkMessagesBody(body: string | Buffer, validate: ValidateFunction, options: MessagesBodyOptions = {}): MessagesBodyCheck {
  const read = typeof body === "string" ? readText(body, options.cache) : readBytes(body, options.cache);
  if (read === undefined) return { ok: false, message: `The request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep.` };
  const { lean, source, known } = read;
  let parsed: unknown;
  try {
    parsed = JSON.parse(lean);
  } catch (error) {
    // Around known parts, JSON.parse names a position in the text without them: the whole body's own error names it in what the client sent.
    return { ok: false, message: `The request body is not valid JSON: ${known.length === 0 ? (error as Error).message : parseError(bodyText(body))}` };
  }
  return checkParsed(parsed, known, validate, options, source);
}

/** JSON.parse's words for a text that does not parse (the lean text failed, so the whole fails too: its known parts parsed before). */
function parseError(text: string): string {
  try {
    JSON.parse(text);
    return "it parses whole, but not without its known parts";
  } catch (error) {
    return (error as Error).message;
  }
}

function checkParsed(
  body: unknown,
  known: readonly KnownValue[],
  validate: ValidateFunction,
  options: MessagesBodyOptions,
  source: PromptSource,
): MessagesBodyCheck {
  const model = body !== null && typeof body === "object" ? (body as { model?: unknown }).model : undefined;
  // Before anything matches it against the routing rules: a model name is a name.
  if (typeof model === "string" && model.length > MAX_MODEL_CHARS)
    return { ok: false, message: `model: a model name has at most ${formatNumber(MAX_MODEL_CHARS)} characters; this one has ${formatNumber(model.length)}.` };
  if (options.forCounting && body !== null && typeof body === "object" && !("max_tokens" in body)) body = { ...body, max_tokens: 0 };
  // Known parts are left out of the walk (their `0` stand-ins too): everything else in the body is
  // checked as always. The object is JSON.parse's own, so the parts are set on it in place.
  const parsed = body as Record<PromptPart, unknown>;
  for (const { part } of known) parsed[part] = undefined;
  if (validate(body)) {
    for (const { part, value } of known) parsed[part] = value;
    return { ok: true, request: body as MessagesRequest, source };
  }
  // Of the alternatives a failed anyOf tried, the deepest error is the one that names the real problem.
  const error = [...(validate.errors ?? [])].sort((a, b) => b.instancePath.length - a.instancePath.length)[0];
  return { ok: false, message: error ? describe(error) : "The request body is not a valid Messages API request." };
}

interface KnownValue {
  part: PromptPart;
  value: unknown;
}

/** The text JSON.parse is given (the known parts' values replaced by `0`), where the prompt's parts are, and the known parts' values; undefined: nested too deep. */
interface ReadBody {
  lean: string;
  source: PromptSource;
  known: KnownValue[];
}

function readText(text: string, cache: PrefixCache | undefined): ReadBody | undefined {
  const scan = scanJsonBody(text, MAX_JSON_DEPTH);
  if (scan.tooDeep) return undefined;
  const source = promptSource(text, scan.fields);
  const known = knownParts(source, cache);
  return { lean: known.length === 0 ? text : withoutParts(text, scan.fields, known), source, known };
}

/**
 * A body as bytes: scanned as latin1 (JSON's structure is ASCII, and no byte of a multi-byte
 * character is), its known parts found by their bytes and left out, the rest decoded. The parts the
 * cache does not know are read from the decoded rest, as a text body's are.
 */
function readBytes(bytes: Buffer, cache: PrefixCache | undefined): ReadBody | undefined {
  const latin1 = bytes.toString("latin1");
  const scan = scanJsonBody(latin1, MAX_JSON_DEPTH);
  if (scan.tooDeep) return undefined;
  const byBytes: { part: PromptPart; known: KnownPart }[] = [];
  for (const part of ["system", "tools"] as const) {
    const span = scan.fields.get(part);
    const known = span === undefined ? undefined : cache?.knownBytes(part, latin1.slice(span.start, span.end));
    if (known !== undefined) byBytes.push({ part, known });
  }
  if (byBytes.length === 0) return readText(bytes.toString("utf8"), cache);
  const lean = Buffer.from(withoutParts(latin1, scan.fields, byBytes), "latin1").toString("utf8");
  // The rest's own scan: its sizes in characters, and the parts the cache does not know.
  const rest = scanJsonBody(lean, MAX_JSON_DEPTH);
  if (rest.tooDeep) return undefined;
  const source = promptSource(lean, rest.fields);
  for (const { part, known } of byBytes) {
    source[part === "system" ? "systemJson" : "toolsJson"] = known.json;
    source.chars[part] = known.compactChars;
  }
  return { lean, source, known: byBytes.map(({ part, known }) => ({ part, value: known.value })) };
}

/**
 * The system prompt and tools whose exact text the prefix cache holds, parsed: a request before
 * this one had them, validated and trimmed. Claude Code's ~75 KB body is ~60 KB of tools and ~12 KB
 * of system prompt, the same on every turn: only the rest is parsed again.
 */
function knownParts(source: PromptSource, cache: PrefixCache | undefined): KnownValue[] {
  const known: KnownValue[] = [];
  if (cache === undefined) return known;
  for (const [part, json] of [
    ["system", source.systemJson],
    ["tools", source.toolsJson],
  ] as const) {
    const value = json === undefined ? undefined : cache.parsed(part, json);
    if (value !== undefined) known.push({ part, value });
  }
  return known;
}

/**
 * The body with the known parts' values replaced by `0`, for JSON.parse to build only the rest. A
 * known part's text is a whole JSON value (it parsed as one before), so the body parses exactly
 * when the text with `0` in its place does.
 */
function withoutParts(text: string, fields: ReadonlyMap<string, FieldSpan>, known: readonly { part: PromptPart }[]): string {
  const spans = known.map(({ part }) => fields.get(part)!).sort((a, b) => a.start - b.start);
  let lean = "";
  let at = 0;
  for (const span of spans) {
    lean += `${text.slice(at, span.start)}0`;
    at = span.end;
  }
  return lean + text.slice(at);
}

/** Where the prompt's parts are in the body's text, and their sizes (an absent one measured as `""` / `[]`). */
function promptSource(text: string, fields: ReadonlyMap<string, FieldSpan>): PromptSource {
  const system = fields.get("system");
  const tools = fields.get("tools");
  const source: PromptSource = {
    chars: { system: system?.compactChars ?? 2, messages: fields.get("messages")?.compactChars ?? 0, tools: tools?.compactChars ?? 2 },
  };
  if (system !== undefined) source.systemJson = ownSlice(text, system.start, system.end);
  if (tools !== undefined) source.toolsJson = ownSlice(text, tools.start, tools.end);
  return source;
}

/** A part of the body that does not keep the rest of it alive: V8 keeps a slice as a view of the whole (a 30 MB prompt, for as long as the request lasts). */
function ownSlice(text: string, start: number, end: number): string {
  const slice = text.slice(start, end);
  return slice.length * 2 < text.length ? copyString(slice) : slice;
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
