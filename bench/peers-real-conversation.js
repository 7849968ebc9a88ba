// One Claude Code conversation as bench/peers-real.js sends it to each target: the captured first
// request of a tool round trip ("create hello.txt containing hi", which Claude Code answered with a
// Write call), then its captured follow-up rebuilt around the target's own answer (its tool_use
// blocks and a tool_result for each), as Claude Code would send it. The captures are read from
// ../shared at run time. Also: a timed streamed POST for both protocols, the Anthropic stream read
// into a message, and the checks of its tool calls against the request's own tool schemas.
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { fileURLToPath } from "node:url";
import { StringDecoder } from "node:string_decoder";
import { Ajv2020 } from "ajv/dist/2020.js";

const fixtures = fileURLToPath(new URL("../../shared/fixtures/claude-code/", import.meta.url));
/** Claude Code's headers minus the ones that describe its own connection. */
const DROPPED_HEADERS = new Set(["host", "content-length", "connection", "accept-encoding"]);

/** The two captures, with the headers to send them with; `maxTokens` replaces Claude Code's 64,000 in both. */
export function readToolRoundTrip(maxTokens) {
  const read = (name) => {
    try {
      return JSON.parse(readFileSync(`${fixtures}${name}`, "utf8"));
    } catch (error) {
      throw new Error(`cannot read the captured Claude Code request ${fixtures}${name}: ${/** @type {Error} */ (error).message}`);
    }
  };
  const first = read("tool-use-first-request.json");
  const followup = read("tool-use-followup.json");
  const headers = { ...Object.fromEntries(Object.entries(first.headers).filter(([name]) => !DROPPED_HEADERS.has(name))), "content-type": "application/json" };
  const path = `/v1/messages${first.url.includes("?") ? first.url.slice(first.url.indexOf("?")) : ""}`;
  return {
    first: { ...first.body, max_tokens: maxTokens },
    followup: { ...followup.body, max_tokens: maxTokens },
    headers,
    path,
    capturedBytes: Buffer.byteLength(JSON.stringify(first.body)),
  };
}

/**
 * Claude Code's next request after `answer`: the captured follow-up with the captured assistant turn
 * replaced by the target's own (its text and tool_use blocks) and one tool_result per call, the
 * result text as Claude Code's Write tool words it. An answer with no valid call gets the captured
 * follow-up as it is (`own: false`): the conversation's next request, with the call Claude Code made.
 */
export function buildFollowup(roundTrip, answer) {
  const calls = answer?.calls.filter((call) => call.valid) ?? [];
  if (calls.length === 0) return { body: roundTrip.followup, own: false };
  // Everything before Claude Code's assistant turn (its first user turn and the system message it sends in messages) stays as captured.
  const messages = roundTrip.followup.messages;
  const assistantAt = messages.findLastIndex((message) => message.role === "assistant");
  const capturedResult = messages[assistantAt + 1].content.find((block) => block.type === "tool_result");
  const content = answer.message.content.flatMap((block) => {
    if (block.type === "text" && block.text.trim() !== "") return [{ type: "text", text: block.text }];
    if (block.type === "tool_use" && calls.some((call) => call.id === block.id))
      return [{ type: "tool_use", id: block.id, name: block.name, input: block.input }];
    return [];
  });
  const results = calls.map((call, i) => ({
    tool_use_id: call.id,
    type: "tool_result",
    content: capturedResult.content.replace("/home/dev/tiny-repo/hello.txt", String(call.input.file_path ?? call.input.path ?? "")),
    ...(i === calls.length - 1 ? { cache_control: capturedResult.cache_control } : {}),
  }));
  return {
    body: { ...roundTrip.followup, messages: [...messages.slice(0, assistantAt), { role: "assistant", content }, { role: "user", content: results }] },
    own: true,
  };
}

/**
 * POSTs `body` and reads the streamed answer: first body byte, first token (Anthropic: the first
 * `content_block_delta`; OpenAI: the first chunk with `delta.content` or `delta.tool_calls`), end.
 * Never rejects for an HTTP error: `status` and `text` say what came back.
 */
export function postStreamed(url, body, headers, protocol, timeoutMs) {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest(url, { method: "POST", agent: false, headers: { ...headers, "content-length": payload.length } }, (res) => {
      const decoder = new StringDecoder("utf8");
      let text = "";
      let firstByte;
      let firstToken;
      res.on("data", (chunk) => {
        const now = performance.now();
        firstByte ??= now;
        const before = text.length;
        text += decoder.write(chunk);
        if (firstToken === undefined && hasToken(text.slice(Math.max(0, before - 200)), protocol)) firstToken = now;
      });
      res.on("end", () => {
        const ended = performance.now();
        text += decoder.end();
        resolve({
          status: res.statusCode,
          text,
          ttfb: firstByte === undefined ? undefined : firstByte - started,
          ttft: firstToken === undefined ? undefined : firstToken - started,
          total: ended - started,
        });
      });
      res.on("error", (error) => reject(new Error(`${url}: the answer broke off: ${error.message}`)));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${url} did not finish within ${timeoutMs / 1000} s`)));
    req.on("error", (error) => reject(new Error(`${url}: ${error.message}`)));
    req.end(payload);
  });
}

function hasToken(text, protocol) {
  if (protocol === "anthropic") return /event: content_block_delta\n|"type":\s*"content_block_delta"/.test(text);
  return /"delta":\s*\{[^}]*"(content":\s*"[^"]|tool_calls")/.test(text);
}

/** An Anthropic SSE answer read into one message: content blocks (tool inputs parsed), stop_reason, usage, error events. */
export function readAnthropicStream(text) {
  /** @type {{ content: any[]; stop_reason: string | undefined; usage: Record<string, number>; errors: string[] }} */
  const message = { content: [], stop_reason: undefined, usage: {}, errors: [] };
  const partial = new Map();
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event
      .split(/\r?\n/)
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).trimStart())
      .join("\n");
    if (!data) continue;
    let value;
    try {
      value = JSON.parse(data);
    } catch {
      message.errors.push(`not JSON: ${data.slice(0, 120)}`);
      continue;
    }
    if (value.type === "message_start") Object.assign(message.usage, value.message?.usage);
    else if (value.type === "content_block_start") {
      message.content[value.index] = structuredClone(value.content_block);
      partial.set(value.index, "");
    } else if (value.type === "content_block_delta") {
      const block = message.content[value.index];
      const delta = value.delta ?? {};
      if (!block) message.errors.push(`a delta for block ${value.index}, which was never started`);
      else if (delta.type === "text_delta") block.text = (block.text ?? "") + delta.text;
      else if (delta.type === "thinking_delta") block.thinking = (block.thinking ?? "") + delta.thinking;
      else if (delta.type === "input_json_delta") partial.set(value.index, partial.get(value.index) + delta.partial_json);
    } else if (value.type === "message_delta") {
      message.stop_reason = value.delta?.stop_reason;
      Object.assign(message.usage, value.usage);
    } else if (value.type === "error") message.errors.push(JSON.stringify(value.error));
  }
  for (const [index, json] of partial) {
    const block = message.content[index];
    if (block?.type !== "tool_use" || json === "") continue;
    try {
      block.input = JSON.parse(json);
    } catch {
      block.input = undefined;
      block.badJson = json.slice(0, 200);
    }
  }
  message.content = message.content.filter(Boolean);
  return message;
}

/**
 * Each tool_use block checked against the request: a tool it offered, an input that is a JSON object
 * valid against that tool's input_schema (ajv, JSON Schema 2020-12, as Claude Code's tools declare).
 * `expected`: the call Claude Code made for this request, Write of "hi" to a hello.txt.
 */
export function checkCalls(message, tools) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  return message.content
    .filter((block) => block.type === "tool_use")
    .map((block) => {
      const tool = tools.find((candidate) => candidate.name === block.name);
      let why;
      if (!tool) why = `no tool named ${JSON.stringify(block.name)} was offered`;
      else if (block.input === undefined || typeof block.input !== "object" || Array.isArray(block.input))
        why = `its input is not a JSON object${block.badJson ? `: ${block.badJson}` : ""}`;
      else {
        const validate = ajv.compile(tool.input_schema);
        if (!validate(block.input)) why = `its input does not match ${block.name}'s schema: ${ajv.errorsText(validate.errors)}`;
      }
      const expected =
        why === undefined && block.name === "Write" && /(^|\/)hello\.txt$/.test(String(block.input.file_path)) && String(block.input.content).trim() === "hi";
      return { id: block.id, name: block.name, input: block.input, valid: why === undefined, why, expected };
    });
}

/** What a message says, shortened for a table cell. */
export function describeMessage(message) {
  const parts = message.content.map((block) => {
    if (block.type === "text") return `text ${JSON.stringify(clip(block.text, 70))}`;
    if (block.type === "tool_use") return `tool_use ${block.name} ${clip(JSON.stringify(block.input ?? block.badJson ?? null), 70)}`;
    return block.type;
  });
  return `${parts.join(" + ") || "nothing"} (stop_reason ${message.stop_reason ?? "none"})`;
}

const clip = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
