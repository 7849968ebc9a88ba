import { randomUUID } from "node:crypto";
import { H3, HTTPError, type H3Event } from "h3";
import { EngineRequestError, parseEngineRequest } from "./engine-request.js";
import { createDeferredWriter } from "./deferred-writer.js";
import { createChunkFormatter, createResponseCollector, formatPrefillComment, type ResponseIdentity } from "./format-openai-response.js";
import { generateCompletion, prepareCompletion, type CompletionEvent, type PreparedCompletion } from "./generate-completion.js";
import { engineBodyText, guardEngineRequest, type EngineGuard } from "./guard-engine-request.js";
import type { LoadedEngine } from "./load-engine.js";

export interface EngineAppOptions {
  /** One line per request (the supervisor keeps the engine's output in server.log). */
  log(line: string): void;
  now(): number;
  /** Host/Origin, token and body limit (guard-engine-request.ts); `mallex engine` always has one. */
  guard?: EngineGuard;
}

/** The engine's HTTP surface: the part of OpenAI Chat Completions that mallex (and any client) uses. */
export function createEngineApp(engine: LoadedEngine, options: EngineAppOptions): H3 {
  const app = new H3({
    onError(error) {
      if (error.status === 404) return openAIError(404, "not_found_error", error.message || "no such route");
      options.log(`internal error: ${error.cause instanceof Error ? (error.cause.stack ?? error.cause.message) : error.message}`);
      return openAIError(500, "server_error", error.message);
    },
  });
  if (options.guard !== undefined) app.use(guardEngineRequest(options.guard, options.log));
  app.get("/health", () => ({ status: "ok" }));
  const models = () => ({ object: "list", data: [{ id: engine.modelId, object: "model", created: 0, owned_by: "mallex" }] });
  app.get("/v1/models", models);
  app.get("/models", models);
  app.get("/props", () => describeProps(engine));
  const completions = async (event: H3Event) => {
    const req = event.req;
    let body: unknown;
    try {
      body = JSON.parse(await engineBodyText(event));
    } catch {
      return openAIError(400, "invalid_request_error", "the request body is not valid JSON");
    }
    let prepared: PreparedCompletion;
    try {
      prepared = await prepareCompletion(engine, parseEngineRequest(body));
    } catch (error) {
      if (error instanceof EngineRequestError) return openAIError(400, "invalid_request_error", error.message, error.param, error.details);
      throw error;
    }
    const request = prepared.request;
    const identity: ResponseIdentity = { id: `chatcmpl-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: engine.modelId };
    const started = options.now();
    const logDone = (event: Extract<CompletionEvent, { type: "done" }>) =>
      options.log(
        `${request.stream ? "stream" : "request"} · prompt ${event.usage.promptTokens} tok (${event.usage.cachedTokens} cached) · out ${event.usage.completionTokens} tok · ${event.finishReason} · ${((options.now() - started) / 1000).toFixed(2)} s`,
      );
    return request.stream ? stream(engine, prepared, identity, req.signal, logDone, options) : whole(engine, prepared, identity, req.signal, logDone);
  };
  app.post("/v1/chat/completions", completions);
  app.post("/chat/completions", completions);
  app.all("/**", (event) => {
    throw new HTTPError({ status: 404, message: `no route ${event.req.method} ${event.url.pathname}` });
  });
  return app;
}

async function whole(
  engine: LoadedEngine,
  prepared: PreparedCompletion,
  identity: ResponseIdentity,
  signal: AbortSignal,
  logDone: (event: Extract<CompletionEvent, { type: "done" }>) => void,
): Promise<Response> {
  const collector = createResponseCollector(identity);
  await generateCompletion(engine, prepared, signal, (event) => {
    collector.add(event);
    if (event.type === "done") logDone(event);
  });
  return Response.json(collector.result());
}

/**
 * SSE: the first chunk goes out at once (the client knows the engine took the request while it waits
 * for a sequence or prefills); an error after that is an `error` chunk and the stream ends without
 * `[DONE]`, which mallex (and the OpenAI SDKs) read as a failed stream.
 */
function stream(
  engine: LoadedEngine,
  prepared: PreparedCompletion,
  identity: ResponseIdentity,
  clientSignal: AbortSignal,
  logDone: (event: Extract<CompletionEvent, { type: "done" }>) => void,
  options: EngineAppOptions,
): Response {
  const formatter = createChunkFormatter(identity, { includeUsage: prepared.request.includeUsage });
  const encoder = new TextEncoder();
  const abort = new AbortController();
  const signal = AbortSignal.any([clientSignal, abort.signal]);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const writer = createDeferredWriter((text) => {
        if (!signal.aborted) controller.enqueue(encoder.encode(text));
      });
      const sse = (data: object | string) => `data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
      controller.enqueue(encoder.encode(sse(formatter.start())));
      let answered = false;
      generateCompletion(engine, prepared, signal, (event) => {
        if (event.type === "prefill") {
          writer.push(formatPrefillComment(event));
          writer.flush();
          return;
        }
        for (const chunk of formatter.format(event)) writer.push(sse(chunk));
        // The first piece of the answer goes out at once: the time to the first token is not deferred.
        if (!answered) writer.flush();
        answered = true;
        if (event.type === "done") logDone(event);
      })
        .then(() => writer.push(sse("[DONE]")))
        .catch((error: unknown) => {
          if (signal.aborted) {
            writer.discard();
            options.log("stream · client went away: generation stopped");
            return;
          }
          const message = error instanceof Error ? error.message : String(error);
          options.log(`stream · failed: ${message}`);
          writer.push(sse({ error: { message, type: "server_error" } }));
        })
        .finally(() => {
          writer.flush();
          try {
            controller.close();
          } catch {
            // Already closed by a cancelled client.
          }
        });
    },
    cancel() {
      abort.abort(new Error("client went away"));
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
}

/**
 * llama-server's `GET /props` (tools/server/server-context.cpp `get_res_props`), the fields that say
 * what this server holds: the context per sequence (`default_generation_settings.n_ctx`, llama-server's
 * `slot_n_ctx`), the requests it generates at once (`total_slots`) and the model. mallex reads any
 * llama.cpp server this way.
 */
function describeProps(engine: LoadedEngine) {
  return {
    default_generation_settings: { n_ctx: engine.contextSize },
    total_slots: engine.sequences,
    model_alias: engine.modelId,
    model_path: engine.modelPath,
    modalities: { vision: false, video: false, audio: false },
    build_info: engine.description,
    is_sleeping: false,
  };
}

function openAIError(status: number, type: string, message: string, param?: string, details: Record<string, number> = {}): Response {
  return Response.json({ error: { message, type, param: param ?? null, code: null, ...details } }, { status });
}
