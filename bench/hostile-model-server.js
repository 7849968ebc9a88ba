// A model server that is broken or hostile, for bench/hostile-backend.js: `node hostile-model-server.js
// PORT`. POST /__case {"name": …} picks how it answers the next /v1/chat/completions; GET /health is 200.
// Every answer writes only as fast as the socket drains (a peer that floods the proxy, not itself).
import { createServer } from "node:http";

const MB = 1 << 20;
let current = "honest";

/** Writes `data`, waiting for the socket to drain (or close). */
async function write(res, data) {
  if (!res.write(data)) await new Promise((resolve) => res.once("drain", resolve).once("close", resolve));
}

/** Writes `piece()` until `total` bytes (or forever, until the proxy hangs up). */
async function pour(res, piece, total = Infinity) {
  let sent = 0;
  while (sent < total && !res.destroyed) {
    const data = piece(sent);
    sent += data.length;
    await write(res, data);
  }
}

/** @param {string | null} [finish] */
const chunk = (delta, finish = null) =>
  `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 0, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const sse = (res) => res.writeHead(200, { "content-type": "text/event-stream" });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const CASES = {
  /** A short, well-formed streamed answer. */
  async honest(res) {
    sse(res);
    res.write(chunk({ role: "assistant", content: "Hello." }));
    res.end(`${chunk({}, "stop")}data: [DONE]\n\n`);
  },
  /** A non-streamed answer of 300 MB (its content one string). */
  async "whole-300mb"(res) {
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"id":"c","object":"chat.completion","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"');
    const block = Buffer.alloc(MB, "a");
    await pour(res, () => block, 300 * MB);
    res.end('"}}]}');
  },
  /** An event stream that never ends, sent to a request that asked for a whole answer. */
  async "whole-endless-sse"(res) {
    sse(res);
    const piece = Buffer.from(chunk({ content: "x".repeat(1000) }));
    await pour(res, () => piece);
  },
  /** A valid non-streamed answer of 63 MB, just under the flat 64 MiB cap mallex had on a whole answer. */
  async "whole-63mb"(res) {
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"id":"c","object":"chat.completion","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"');
    const block = Buffer.alloc(MB, "a");
    await pour(res, () => block, 63 * MB);
    res.end('"}}]}');
  },
  /** A valid non-streamed answer of 7 MiB: just under what mallex reads for max_tokens 16,384 (7.05 MiB). */
  async "whole-7mib"(res) {
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"id":"c","object":"chat.completion","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"');
    const block = Buffer.alloc(MB, "a");
    await pour(res, () => block, 7 * MB - 200);
    res.end('"}}]}');
  },
  /** A non-streamed answer carrying 2 MB of empty objects. */
  async "whole-objects"(res) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      `{"id":"c","object":"chat.completion","x":[${"{},".repeat(700_000)}{}],"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hi"}}]}`,
    );
  },
  /** One stream line with no newline, 1.5 GB long. */
  async "stream-line-no-newline"(res) {
    sse(res);
    res.write('data: {"choices":[{"index":0,"delta":{"content":"');
    const block = Buffer.alloc(MB, "a");
    await pour(res, () => block, 1536 * MB);
    res.end();
  },
  /** One valid 100 MB event. */
  async "stream-event-100mb"(res) {
    sse(res);
    res.write('data: {"choices":[{"index":0,"delta":{"content":"');
    const block = Buffer.alloc(MB, "a");
    await pour(res, () => block, 100 * MB);
    res.end(`"}}]}\n\n${chunk({}, "stop")}data: [DONE]\n\n`);
  },
  /** One valid event of 15 MB of text, just under the 16 M characters mallex takes in one event. */
  async "stream-event-15mb-content"(res) {
    sse(res);
    await write(res, chunk({ role: "assistant", content: "" }));
    await write(res, chunk({ content: "a".repeat(15 * MB) }));
    res.end(`${chunk({}, "stop")}data: [DONE]\n\n`);
  },
  /** One valid event of 7 MiB of text: just under what mallex takes in one event for max_tokens 16,384. */
  async "stream-event-7mib-content"(res) {
    sse(res);
    await write(res, chunk({ role: "assistant", content: "" }));
    await write(res, chunk({ content: "a".repeat(7 * MB - 200) }));
    res.end(`${chunk({}, "stop")}data: [DONE]\n\n`);
  },
  /** One event carrying 2 MB of empty objects. */
  async "stream-event-objects"(res) {
    sse(res);
    res.end(
      `data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"}}],"x":[${"{},".repeat(700_000)}{}]}\n\n${chunk({}, "stop")}data: [DONE]\n\n`,
    );
  },
  /** A Write whose 15 MB of arguments come in one valid event. */
  async "stream-event-15mb-arguments"(res) {
    sse(res);
    const args = JSON.stringify({ file_path: "/tmp/x.txt", content: "a".repeat(15 * MB) });
    await write(res, chunk({ role: "assistant", tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "Write", arguments: args } }] }));
    res.end(`${chunk({}, "tool_calls")}data: [DONE]\n\n`);
  },
  /** A Write of 512 KB streamed in 4-character argument fragments, as llama-server streams it. */
  async "write-512kb-in-4-char-deltas"(res) {
    sse(res);
    const args = JSON.stringify({ file_path: "/tmp/x.txt", content: "abcd".repeat(128 * 1024) });
    res.write(chunk({ role: "assistant", tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "Write", arguments: "" } }] }));
    for (let at = 0; at < args.length && !res.destroyed; at += 4) {
      await write(res, chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(at, at + 4) } }] }));
    }
    res.end(`${chunk({}, "tool_calls")}data: [DONE]\n\n`);
  },
  /** Tool-call arguments nested 3,000,000 deep (6 MB), in 64 KB fragments. */
  async "arguments-3m-deep"(res) {
    sse(res);
    const depth = 3_000_000;
    const args = `{"a":${"[".repeat(depth)}${"]".repeat(depth)}}`;
    res.write(chunk({ role: "assistant", tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "Write", arguments: "" } }] }));
    for (let at = 0; at < args.length && !res.destroyed; at += 65_536) {
      await write(res, chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(at, at + 65_536) } }] }));
    }
    res.end(`${chunk({}, "tool_calls")}data: [DONE]\n\n`);
  },
  /** A token every 100 ms, forever: no silence ever reaches the silence limit. */
  async drip(res) {
    sse(res);
    while (!res.destroyed) {
      await write(res, chunk({ content: "tok " }));
      await sleep(100);
    }
  },
  /** Tokens as fast as the socket takes them, whatever max_tokens said. */
  async "ignores-max-tokens"(res) {
    sse(res);
    const piece = Buffer.from(chunk({ content: "word " }));
    await pour(res, () => piece);
  },
};

const server = createServer((req, res) => {
  const body = [];
  req.on("data", (data) => body.push(data));
  req.on("end", () => {
    if (req.url === "/health") return res.end("ok");
    if (req.url === "/__case") {
      current = JSON.parse(Buffer.concat(body).toString()).name;
      return res.end("ok");
    }
    if (req.url?.endsWith("/models")) {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify({ object: "list", data: [{ id: "m", object: "model" }] }));
    }
    res.on("error", () => {});
    res.setMaxListeners(0); // a drain or close listener per write while the proxy reads slowly
    void CASES[current](res).catch(() => res.destroy());
  });
});
server.listen(Number(process.argv[2]), "127.0.0.1");
