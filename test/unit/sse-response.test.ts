/**
 * The streamed answer's body between the pump and node:http (streamSSE): served by srvx as mallex
 * serves it (an h3 app's node handler on a node:http server), read by a real HTTP client: what it sends,
 * how a client that does not read holds the pump, how a client that leaves or a failed answer ends it.
 */
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { H3, toNodeHandler } from "h3";
import { afterEach, describe, expect, it } from "vitest";
import type { AnswerPump, AnswerSink } from "../../src/pipeline/pump-answer.js";
import { replaySSE, streamSSE, type EventLog } from "../../src/pipeline/sse-response.js";
import type { AnthropicStreamEvent } from "../../src/translate/anthropic-types.js";

const delta = (text: string): AnthropicStreamEvent => ({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text } });

/** A pump the test drives: its sink, and what the body asked of it. */
function scriptedPump(onStart: (sink: AnswerSink) => void = () => {}) {
  const state = { sink: undefined as AnswerSink | undefined, resumed: 0, cancelled: 0 };
  const start = (sink: AnswerSink): AnswerPump => {
    state.sink = sink;
    onStart(sink);
    return { resume: () => void state.resumed++, cancel: () => void state.cancelled++ };
  };
  return { start, state, sink: () => state.sink! };
}

function recordingLog() {
  const seen: string[] = [];
  const log: EventLog = { observe: (event) => void seen.push(event.type), end: () => void seen.push("end") };
  return { log, seen };
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/**
 * A server answering every request with `respond()`, and one request to it: its response once the
 * headers are in, which node:http sends with the first events (not before: each write wakes the client).
 */
async function serveOne(respond: () => Response): Promise<IncomingMessage> {
  server = createServer(toNodeHandler(new H3().post("/", respond)));
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => request({ port, host: "127.0.0.1", method: "POST", path: "/" }, resolve).on("error", reject).end());
}

const readAll = (response: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    let text = "";
    response.setEncoding("utf8");
    response.on("data", (piece: string) => (text += piece));
    response.on("end", () => resolve(text));
    response.on("error", reject);
    // A response paused by the test flows again: a `data` listener alone does not resume it.
    response.resume();
  });

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  expect(condition()).toBe(true);
};

describe("streamSSE", () => {
  it("an answer over before srvx sends the response goes out whole with its end; the log saw each event, then the end", async () => {
    const { log, seen } = recordingLog();
    const pump = scriptedPump((sink) => {
      sink.event({ type: "ping" });
      sink.event(delta("4"));
      expect(sink.flush()).toBe(false);
      sink.event({ type: "message_stop" });
      sink.end();
    });
    const response = await serveOne(() => streamSSE(pump.start, log));
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    const text = await readAll(response);
    expect(text.match(/^event: (\w+)$/gm)).toEqual(["event: ping", "event: content_block_delta", "event: message_stop"]);
    expect(text).toContain('"text":"4"');
    expect(seen).toEqual(["ping", "content_block_delta", "message_stop", "end"]);
    expect(pump.state.cancelled).toBe(0);
  });

  it("events flushed as the backend answers arrive in order; the pump is resumed once the response is being sent", async () => {
    const pump = scriptedPump();
    const responding = serveOne(() => streamSSE(pump.start));
    await until(() => pump.state.resumed > 0);
    for (const piece of ["a", "b", "c"]) {
      pump.sink().event(delta(piece));
      expect(pump.sink().flush()).toBe(true);
    }
    const reading = readAll(await responding);
    pump.sink().event({ type: "message_stop" });
    pump.sink().end();
    const texts = [...(await reading).matchAll(/"text":"(\w)"/g)].map((match) => match[1]);
    expect(texts).toEqual(["a", "b", "c"]);
  });

  it("a client that does not read holds the pump (flush answers false until it reads), and reading again resumes it: nothing is lost", async () => {
    const pump = scriptedPump();
    const responding = serveOne(() => streamSSE(pump.start));
    await until(() => pump.state.resumed > 0);
    pump.sink().event({ type: "ping" });
    pump.sink().flush();
    const response = await responding;
    response.pause();
    // Until the kernel's and node:http's buffers are full (a few MB on loopback), each full buffer
    // drains at once; then the body holds the pump and nothing drains it.
    const big = "x".repeat(64 * 1024);
    let sent = 0;
    let held = false;
    while (!held && sent < 2_000) {
      pump.sink().event(delta(big));
      sent++;
      if (pump.sink().flush()) continue;
      const resumed = pump.state.resumed;
      await new Promise((resolve) => setTimeout(resolve, 50));
      held = pump.state.resumed === resumed;
    }
    expect(held, `still draining after ${sent} events of 64 KB`).toBe(true);
    const resumedWhileHeld = pump.state.resumed;
    const reading = readAll(response);
    await until(() => pump.state.resumed > resumedWhileHeld);
    pump.sink().event({ type: "message_stop" });
    pump.sink().end();
    const text = await reading;
    expect(text.match(/^event: content_block_delta$/gm)?.length).toBe(sent);
    expect(text.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n')).toBe(true);
    expect(pump.state.cancelled).toBe(0);
  });

  it("a client that hangs up before the end cancels the pump, once", async () => {
    const pump = scriptedPump();
    const responding = serveOne(() => streamSSE(pump.start));
    await until(() => pump.state.resumed > 0);
    pump.sink().event(delta("a"));
    pump.sink().flush();
    const response = await responding;
    await new Promise((resolve) => response.once("data", resolve));
    response.destroy();
    await until(() => pump.state.cancelled > 0);
    expect(pump.state.cancelled).toBe(1);
  });

  it("a failed answer breaks the connection: the client cannot take a cut stream for a whole one", async () => {
    const { log, seen } = recordingLog();
    const pump = scriptedPump();
    const responding = serveOne(() => streamSSE(pump.start, log));
    await until(() => pump.state.resumed > 0);
    pump.sink().event(delta("a"));
    pump.sink().flush();
    const response = await responding;
    pump.sink().error(new Error("the translator failed"));
    await expect(readAll(response)).rejects.toThrow(/aborted/);
    expect(seen.at(-1)).toBe("end");
  });

  it("read as a web Response in process (srvx's other way to serve it), the body is the same events, and cancelling it cancels the pump", async () => {
    const whole = scriptedPump((sink) => {
      sink.event(delta("4"));
      sink.event({ type: "message_stop" });
      sink.end();
    });
    expect((await streamSSE(whole.start).text()).match(/^event: (\w+)$/gm)).toEqual(["event: content_block_delta", "event: message_stop"]);

    const open = scriptedPump();
    const body = streamSSE(open.start).body!;
    const reader = body.getReader();
    open.sink().event(delta("a"));
    await until(() => open.state.resumed > 0);
    open.sink().flush();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('"text":"a"');
    await reader.cancel();
    await until(() => open.state.cancelled > 0);
  });

  it("a whole answer replayed as a stream (replaySSE) is one body of known length with every event", async () => {
    const response = await serveOne(() => replaySSE([{ type: "ping" }, delta("é 🤖"), { type: "message_stop" }]));
    expect(response.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    const text = await readAll(response);
    expect(Number(response.headers["content-length"])).toBe(Buffer.byteLength(text));
    expect(text.match(/^event: (\w+)$/gm)).toEqual(["event: ping", "event: content_block_delta", "event: message_stop"]);
    expect(text).toContain('"text":"é 🤖"');
  });
});
