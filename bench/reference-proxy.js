// The floor for a proxy's own cost: the least a proxy from Claude Code to an OpenAI-compatible server
// must do. It parses the Anthropic JSON, rewrites it into an OpenAI request in the simplest way (the
// system prompt and every message flattened to text, no trimming, no tools, no routing), forwards it
// to the backend and streams the answer back as Anthropic SSE, with a line splitter and one
// JSON.parse per chunk. No validation, no hardening, no logging. Used by bench/overhead.js, which
// runs it as its own process, like mallex:
//
//   node bench/reference-proxy.js --port N --backend-url http://127.0.0.1:8080/v1 [--model NAME]
import { Agent, createServer, request as httpRequest } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { port: { type: "string" }, "backend-url": { type: "string" }, model: { type: "string" } } });
if (values["backend-url"] === undefined) throw new Error("usage: node bench/reference-proxy.js --port N --backend-url URL [--model NAME]");
const backend = new URL(`${values["backend-url"].replace(/\/$/, "")}/chat/completions`);
const agent = new Agent({ keepAlive: true });

/** Anthropic content (a string or blocks) as plain text. */
const flatten = (content) =>
  typeof content === "string"
    ? content
    : content.map((block) => block.text ?? (block.content === undefined ? JSON.stringify(block.input ?? "") : flatten(block.content))).join("\n");

function toOpenAI(body) {
  const messages = [];
  if (body.system) messages.push({ role: "system", content: flatten(body.system) });
  for (const message of body.messages) messages.push({ role: message.role, content: flatten(message.content) });
  return { ...(values.model ? { model: values.model } : {}), messages, max_tokens: body.max_tokens, stream: true };
}

const sse = (name, data) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/health") return res.end('{"status":"ok"}');
  if (req.method !== "POST" || !req.url?.startsWith("/v1/messages")) {
    res.statusCode = 404;
    return res.end();
  }
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const payload = JSON.stringify(toOpenAI(body));
    const upstream = httpRequest(
      backend,
      { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } },
      (answer) => {
        if (answer.statusCode !== 200) {
          res.writeHead(502, { "content-type": "application/json" });
          return answer.pipe(res);
        }
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        res.write(
          sse("message_start", {
            type: "message_start",
            message: {
              id: "msg_ref",
              type: "message",
              role: "assistant",
              model: body.model,
              content: [],
              stop_reason: null,
              usage: { input_tokens: 0, output_tokens: 0 },
            },
          }),
        );
        res.write(sse("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }));
        answer.setEncoding("utf8");
        let pending = "";
        let outputTokens = 0;
        answer.on("data", (text) => {
          const lines = (pending + text).split("\n");
          pending = lines.pop() ?? "";
          let out = "";
          for (const line of lines) {
            if (!line.startsWith("data: {")) continue;
            const chunk = JSON.parse(line.slice(6));
            const content = chunk.choices?.[0]?.delta?.content;
            if (chunk.usage) outputTokens = chunk.usage.completion_tokens;
            if (content) out += sse("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: content } });
          }
          if (out) res.write(out);
        });
        answer.on("end", () => {
          res.write(sse("content_block_stop", { type: "content_block_stop", index: 0 }));
          res.write(
            sse("message_delta", { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: outputTokens } }),
          );
          res.end(sse("message_stop", { type: "message_stop" }));
        });
      },
    );
    upstream.on("error", (error) => res.destroy(error));
    res.on("close", () => res.writableFinished || upstream.destroy()); // the client went away
    upstream.end(payload);
  });
});

server.listen(Number(values.port), "127.0.0.1", () =>
  console.log(`reference proxy listening on http://127.0.0.1:${/** @type {import("node:net").AddressInfo} */ (server.address()).port}`),
);
