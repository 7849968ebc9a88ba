// @ts-check
/**
 * A scriptable fake of `mlx_lm.server` 0.32, for fault injection only: crashes, hangs, wedges,
 * resets, scripted tool calls and timings that the real server (test/real-mlx-server.test.ts,
 * docs/mlx-lm-server.md) cannot be made to produce on demand. What a request really gets is
 * checked against the real 0.32.2; this fake follows it: same endpoints, same wire format (HTTP/1.0,
 * close-delimited streams, Python JSON spacing), same quirks (400 `{"error"}` for a wrong
 * parameter or missing messages, a socket closed with no response for a body that is not UTF-8,
 * no `[DONE]` after `stream_options` without `include_usage`, 404 on template errors, a model
 * "download" when a request names another model, `max_tokens` 512 by default, keepalive comments
 * while prefilling) and a prompt-prefix cache that reports `cached_tokens`. Not modelled: /health's
 * 503 once the generation thread died, /v1/models' empty body without a Hugging Face cache.
 *
 * @example
 * const mlx = await createFakeMlxServer();
 * mlx.script({ text: "Hello!" }, { toolCalls: [{ name: "Read", arguments: { file_path: "/a.ts" } }] });
 * const res = await fetch(`${mlx.url}/chat/completions`, { method: "POST", body: JSON.stringify({ messages, max_tokens: 100 }) });
 * await mlx.close();
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { JSON_HEADERS, dropConnection, sendReply, sendUnsupportedMethod } from "./mlx/http-wire.js";
import { createPromptCache } from "./mlx/prompt-cache.js";
import { accessLogDate, asctime } from "./mlx/python-log.js";
import { serveCompletion } from "./mlx/serve-completion.js";
import { parseCompletionRequest } from "./mlx/validate-request.js";

/** @typedef {import("./mlx-lm-server.js").FakeMlxServerOptions} FakeMlxServerOptions */
/** @typedef {import("./mlx-lm-server.js").FakeMlxServer} FakeMlxServer */
/** @typedef {import("./mlx-lm-server.js").FakeScript} FakeScript */
/** @typedef {import("./mlx-lm-server.js").FakeRequestRecord} FakeRequestRecord */
/** @typedef {import("./mlx-lm-server.js").ModelLoadAttempt} ModelLoadAttempt */
/** @typedef {import("node:net").Socket} Socket */

export const DEFAULT_MODEL = "mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit";
export const DEFAULT_SYSTEM_FINGERPRINT = "0.32.0-0.30.6-macOS-15.6.1-arm64-arm-64bit-applegpu_g16s";

/** @type {Readonly<Record<string, "chat" | "text">>} POST paths, matched exactly (a query string is a 404). */
const POST_ENDPOINTS = Object.freeze({ "/v1/completions": "text", "/v1/chat/completions": "chat", "/chat/completions": "chat" });

/**
 * Starts a fake mlx-lm.server on 127.0.0.1 (port 0 unless given).
 * @param {FakeMlxServerOptions} [options]
 * @returns {Promise<FakeMlxServer>}
 */
export async function createFakeMlxServer(options = {}) {
  const model = "model" in options ? options.model : DEFAULT_MODEL;
  const now = options.now ?? Date.now;
  const generateId = options.generateId ?? randomUUID;
  const log = options.log ?? (() => {});
  /** @type {FakeRequestRecord[]} */
  const requests = [];
  /** @type {ModelLoadAttempt[]} */
  const modelLoadAttempts = [];
  /** @type {FakeScript[]} */
  const queue = [...(options.script ?? [])];
  /** @type {Set<Socket>} */
  const sockets = new Set();
  /** @type {{ openedAt: number }[]} every connection accepted, in order (`performance.now()`) */
  const connections = [];
  /** @type {WeakMap<import("node:stream").Duplex, number>} a socket's index in `connections` */
  const connectionOf = new WeakMap();
  /** @type {Set<NodeJS.Timeout>} */
  const timers = new Set();
  let closed = false;
  /** @type {"all" | "generation" | undefined} */
  let wedged;
  /** @type {string | undefined} the model in memory; the default one loads in the background */
  let loaded;

  /** @param {number} ms @returns {Promise<void>} */
  const sleep = (ms) =>
    new Promise((resolve) => {
      const timer = setTimeout(() => (timers.delete(timer), resolve()), ms);
      timers.add(timer);
    });
  /** @returns {Promise<never>} pending until `close()` destroys the socket */
  const hang = () => new Promise(() => {});
  /** @param {string} level @param {string} message */
  const logLine = (level, message) => log(`${asctime(now())} - ${level} - ${message}`);

  // Like the generation thread: the default model loads at startup, loads run one at a time.
  /** @type {Promise<unknown>} */
  let modelTask = sleep(options.loadMs ?? 0).then(() => (loaded = model));
  /** @param {string} requested @returns {Promise<string>} */
  const ensureModel = (requested) => {
    const target = requested === "default_model" || requested === model ? model : requested;
    const task = modelTask.then(async () => {
      if (target === undefined) throw new Error("expected str, bytes or os.PathLike object, not NoneType");
      if (loaded === target) return target;
      const ok = target === model || (options.availableModels ?? []).includes(target);
      modelLoadAttempts.push({ model: target, ok });
      loaded = undefined; // ModelProvider._load drops the current model first
      if (!ok) {
        await sleep(options.foreignModelDelayMs ?? 25);
        throw new Error(repositoryNotFound(target, generateId()));
      }
      await sleep(options.loadMs ?? 0);
      loaded = target;
      return target;
    });
    modelTask = task.then(
      () => {},
      () => {},
    );
    return task;
  };

  /** @type {import("./mlx/serve-completion.js").ServerContext} */
  const context = {
    now,
    generateId,
    sleep,
    hang,
    log: (line) => logLine("INFO", line),
    isClosed: () => closed,
    isWedged: () => wedged !== undefined,
    ensureModel,
    takeScript: async (record) => queue.shift() ?? (await options.respond?.(record)) ?? { text: echoOf(record.body) },
    onGeneration: (event) => options.onGeneration?.(event),
    promptCache: createPromptCache({ size: options.promptCacheSize ?? 10, trimmable: options.trimmablePromptCache ?? true }),
    settings: {
      systemFingerprint: options.systemFingerprint ?? DEFAULT_SYSTEM_FINGERPRINT,
      prefillStepSize: options.prefillStepSize ?? 2048,
      tokenDelayMs: options.tokenDelayMs ?? 0,
      omitEmptyContent: options.omitEmptyContent ?? false,
      prefillTokensPerSecond: options.prefillTokensPerSecond,
    },
  };

  /** @param {import("node:http").IncomingMessage} req @param {Socket} socket @param {Buffer} raw */
  const route = async (req, socket, raw) => {
    const method = req.method ?? "GET";
    const path = req.url ?? "/";
    /** @type {FakeRequestRecord} */
    const record = { method, path, headers: req.headers, body: parseLoosely(raw), connection: connectionOf.get(socket) ?? -1, receivedAt: performance.now() };
    requests.push(record);
    log(`${socket.remoteAddress ?? "127.0.0.1"} - - [${accessLogDate(now())}] "${method} ${path} HTTP/${req.httpVersion}"`);
    if (wedged === "all") return hang();
    if (method === "OPTIONS") return sendReply(socket, 204, "", now());
    if (method === "GET") {
      if (path.startsWith("/v1/models")) return sendReply(socket, 200, listModels(path, options.listedModels ?? (model ? [model] : []), now()), now());
      if (path === "/health") return sendReply(socket, 200, '{"status": "ok"}', now());
      return sendReply(socket, 404, "Not Found", now());
    }
    if (method !== "POST") return sendUnsupportedMethod(socket, method, now());
    const endpoint = POST_ENDPOINTS[path];
    if (endpoint === undefined) return sendReply(socket, 404, "Not Found", now());
    if (req.headers["content-length"] === undefined) {
      return sendReply(socket, 411, { error: "Content-Length header is required" }, now());
    }
    const parsed = parseCompletionRequest(raw, endpoint, { maxTokens: options.maxTokens ?? 512 });
    record.body = parsed.body;
    if (parsed.kind === "reply") return sendReply(socket, parsed.status, { error: parsed.error }, now());
    if (parsed.kind === "drop") {
      record.dropped = parsed.reason;
      logLine("ERROR", `Exception occurred during processing of request: ${parsed.reason}`);
      return dropConnection(socket);
    }
    return serveCompletion(context, socket, record, parsed.body, parsed.params, endpoint);
  };

  /** @type {WeakSet<import("node:stream").Duplex>} sockets whose one request is being answered */
  const busy = new WeakSet();
  const server = createServer({ requireHostHeader: false, noDelay: true }, (req) => {
    busy.add(req.socket);
    /** @type {Buffer[]} */
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      route(req, req.socket, Buffer.concat(chunks)).catch((error) => {
        logLine("ERROR", `Exception occurred during processing of request: ${error}`);
        dropConnection(req.socket);
      });
    });
  });
  server.requestTimeout = 0;
  server.on("connection", (socket) => {
    connectionOf.set(socket, connections.push({ openedAt: performance.now() }) - 1);
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  });
  server.on("clientError", (error, socket) => {
    const code = /** @type {NodeJS.ErrnoException} */ (error).code ?? "";
    // Bytes after a request (e.g. a body sent without Content-Length) stay unread, as in Python.
    if (busy.has(socket)) return;
    if (!code.includes("CONTENT_LENGTH") || socket.destroyed) return socket.destroy();
    sendReply(/** @type {Socket} */ (socket), 400, { error: "Invalid Content-Length header" }, now(), { headers: JSON_HEADERS });
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve(undefined));
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const host = options.host ?? "127.0.0.1";

  return {
    url: `http://${host}:${port}/v1`,
    port,
    requests,
    connections,
    modelLoadAttempts,
    script: (...responses) => void queue.push(...responses.flat()),
    wedge: (scope = "all") => void (wedged = scope),
    close: async () => {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}

/** @param {string} path @param {string[]} ids @param {number} nowMs */
function listModels(path, ids, nowMs) {
  const parts = path.split("/");
  const filter = parts.length > 3 ? parts.slice(3).join("/") : undefined;
  const created = Math.floor(nowMs / 1000);
  const data = ids.filter((id) => filter === undefined || id === filter).map((id) => ({ id, object: "model", created }));
  return { object: "list", data };
}

/** What huggingface_hub raises when `snapshot_download` is asked for a repo that does not exist. @param {string} repo @param {string} requestId */
function repositoryNotFound(repo, requestId) {
  return (
    `404 Client Error. (Request ID: Root=1-${requestId.slice(0, 8)})\n\n` +
    `Repository Not Found for url: https://huggingface.co/api/models/${repo}/revision/main.\n` +
    "Please make sure you specified the correct `repo_id` and `repo_type`.\n" +
    "If you are trying to access a private or gated repo, make sure you are authenticated. " +
    "For more details, see https://huggingface.co/docs/huggingface_hub/authentication"
  );
}

/** The default reply: the text of the last user message (or the completion prompt). @param {unknown} body */
function echoOf(body) {
  const fields = /** @type {Record<string, unknown>} */ (body ?? {});
  if (typeof fields.prompt === "string") return fields.prompt;
  const messages = Array.isArray(fields.messages) ? fields.messages : [];
  const user = messages.findLast((m) => m?.role === "user");
  const content = user?.content;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((part) => (typeof part?.text === "string" ? part.text : "")).join("");
  return "OK";
}

/** @param {Buffer} raw @returns {unknown} */
function parseLoosely(raw) {
  if (raw.length === 0) return undefined;
  const text = raw.toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
