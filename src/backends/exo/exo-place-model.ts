import { createParser } from "eventsource-parser";
import { MallexError } from "../../shared/mallex-error.js";
import { readResponseStart } from "../../shared/read-body-text.js";
import { BackendError } from "../backend-error.js";
import { exoOrigin, instancesOfModel, parseAwaitMessage, pickPlacement, type ExoAwaitMessage } from "./exo-api.js";
import { describeErrorBody } from "../post-chat-completions.js";

const BACKSTOP_GRACE_MS = 5_000;

export interface PlaceModelInit {
  /** The backend's name, for messages. */
  backend: string;
  /** Its base URL (`http://host:52415/v1`). */
  baseUrl: string;
  model: string;
  /** Longest the whole placement may take (see exo-instances.ts for the default). */
  timeoutMs: number;
  /** Aborted when the proxy closes. */
  signal: AbortSignal;
  log: (line: string) => void;
  fetch: typeof fetch;
}

/**
 * Makes sure `model` has an instance on the exo cluster: one already there is used as is; else the
 * first valid placement exo previews is placed and awaited. Resolves once exo's state holds the
 * instance (exo downloads and loads the weights after that; a chat request sent meanwhile waits for
 * them, with exo's keep-alive comments). Fails with what exo answered and what to do.
 */
export async function placeModel(init: PlaceModelInit): Promise<void> {
  const { backend, model, log } = init;
  const origin = exoOrigin(init.baseUrl);
  // exo's own deadline on the await ends its stream with a timeout message, which says more than
  // ours: ours, the backstop for an exo that stops answering, gives it a few seconds more.
  const signal = AbortSignal.any([init.signal, AbortSignal.timeout(init.timeoutMs + BACKSTOP_GRACE_MS)]);
  const call = (path: string, options: RequestInit = {}) => callExo(init, `${origin}${path}`, { ...options, signal });
  const fail = (sentence: string) => new MallexError("E_USAGE", `exo at ${origin} cannot serve ${model}: ${sentence}.`);

  try {
    const running = instancesOfModel(await readJson(await call("/state/instances"), "GET /state/instances", init), model);
    if (running.length > 0) {
      log(`backend ${backend}: ${model} already has an instance on exo (${running[0]}); using it`);
      return;
    }
    const choice = pickPlacement(
      await readJson(await call(`/instance/previews?model_id=${encodeURIComponent(model)}`), "GET /instance/previews", init, model),
      model,
    );
    if (!choice.ok) throw fail(choice.reason);
    const { params } = choice;
    log(
      `backend ${backend}: ${model} has no instance on exo; placing it (${params.sharding}, ${params.instance_meta}, ${choice.nodes} machine${choice.nodes === 1 ? "" : "s"})`,
    );
    await readJson(
      await call("/place_instance", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(params) }),
      "POST /place_instance",
      init,
      model,
    );
    const seconds = Math.min(300, Math.max(1, Math.ceil(init.timeoutMs / 1000)));
    const answer = await call(`/instance/await?model_id=${encodeURIComponent(model)}&timeout_seconds=${seconds}`);
    if (!answer.ok) await readJson(answer, "GET /instance/await", init, model);
    const message = await readAwait(answer, (waited) => log(`backend ${backend}: waiting for exo to place ${model} (${waited} s)`));
    if (message.type === "timeout")
      throw fail(`exo placed no instance within ${seconds} s (${message.message}); its master's log says why, or raise backends.${backend}.timeout_s`);
    if (message.type === "unknown") throw fail(`exo's /instance/await answered something mallex cannot read (${message.data.slice(0, 200) || "no message"})`);
    log(`backend ${backend}: ${model} placed on exo (${message.instanceId ?? "instance"}); exo loads it while requests wait`);
  } catch (error) {
    if (signal.aborted && !init.signal.aborted && !MallexError.isInstance(error)) {
      throw fail(
        `placing it took longer than ${Math.round(init.timeoutMs / 1000)} s; exo's dashboard shows where it stands, or raise backends.${backend}.timeout_s`,
      );
    }
    throw error;
  }
}

/** A fetch to exo; no connection is the backend's usual "not reachable". */
async function callExo(init: PlaceModelInit, url: string, options: RequestInit): Promise<Response> {
  try {
    return await init.fetch(url, options);
  } catch (error) {
    if ((error as Error).name === "AbortError" || (error as Error).name === "TimeoutError") throw error;
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    throw new BackendError(
      "unreachable",
      `${init.backend} at ${exoOrigin(init.baseUrl)} is not reachable (${cause?.code ?? cause?.message ?? (error as Error).message})`,
      { backend: init.backend, url, cause: error },
    );
  }
}

/** The longest answer of exo's API read: its placement and state answers are kilobytes. */
const MAX_EXO_ANSWER_BYTES = 4 * 1024 * 1024;

/** The JSON of a 2xx answer; an error status becomes one sentence with exo's own message. */
async function readJson(response: Response, route: string, init: PlaceModelInit, model?: string): Promise<unknown> {
  const { text, cut } = await readResponseStart(response, MAX_EXO_ANSWER_BYTES);
  if (cut)
    throw new MallexError(
      "E_USAGE",
      `exo at ${exoOrigin(init.baseUrl)} answered ${route} with more than ${MAX_EXO_ANSWER_BYTES / 1024 / 1024} MiB, which is no answer of its API.`,
    );
  if (!response.ok) {
    // exo loads the model's card first: an unknown id fails there, with HTTP 400 or 500.
    const hint = model === undefined ? "" : `; check that ${model} is a model id exo lists at /v1/models`;
    throw new MallexError("E_USAGE", `exo at ${exoOrigin(init.baseUrl)} answered HTTP ${response.status} to ${route}: ${describeErrorBody(text)}${hint}.`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new MallexError("E_USAGE", `exo at ${exoOrigin(init.baseUrl)} answered ${route} with something that is not JSON: ${text.slice(0, 200)}`);
  }
}

const MAX_AWAIT_MESSAGE_CHARS = 1024 * 1024;

/**
 * Reads `/instance/await`'s SSE stream to its one terminal message. exo sends `: keep-alive`
 * comments first and every 10 s of silence: each but the first is a sign of waiting, shown as progress.
 */
async function readAwait(response: Response, onWaiting: (seconds: number) => void): Promise<ExoAwaitMessage> {
  let message: ExoAwaitMessage | undefined;
  let comments = 0;
  const started = performance.now();
  // Its one message is short: a line that never ends is no answer, and ends the wait.
  const parser = createParser({
    maxBufferSize: MAX_AWAIT_MESSAGE_CHARS,
    onError: (error) => {
      if (error.type === "max-buffer-size-exceeded")
        message ??= { type: "unknown", data: `a line longer than ${MAX_AWAIT_MESSAGE_CHARS.toLocaleString("en-US")} characters` };
    },
    onEvent: (event) => {
      message ??= parseAwaitMessage(event.data);
    },
    onComment: () => {
      if (comments++ > 0) onWaiting(Math.round((performance.now() - started) / 1000));
    },
  });
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  if (reader === undefined) return { type: "unknown", data: "" };
  try {
    while (message === undefined) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(value);
    }
  } finally {
    await reader.cancel().catch(() => {
      // The stream already failed: the read above threw its error.
    });
  }
  return message ?? { type: "unknown", data: "" };
}
