#!/usr/bin/env node
// @ts-check
/**
 * An OpenAI-compatible backend as a process, for fault tests that kill it: each POST
 * /v1/chat/completions is answered by the scenario its last user message names (`scenario:<name>`),
 * step by step, so a test can SIGKILL the process at a known point of an answer.
 *
 *   node test/fakes/scripted-openai-backend.js --port N --scenarios FILE.json
 *
 * FILE.json maps names to steps: `{ "write": "raw bytes" }` (the 200 event-stream headers go out
 * before the first write), `{ "chunk": {...} }` (one `data: <json>` event), `{ "done": true }`
 * (`data: [DONE]` and the end), `{ "mark": "label" }` (prints `mark <label>` on stdout; a test waits
 * for it), `{ "delayMs": n }`, `{ "hang": true }` (nothing more, until killed). A request naming no
 * scenario gets a one-chunk answer `ok: <its text>`. Prints `listening <port>` once ready.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { port: { type: "string" }, scenarios: { type: "string" } } });
/** @type {Record<string, Array<Record<string, unknown>>>} */
const scenarios = values.scenarios ? JSON.parse(readFileSync(values.scenarios, "utf8")) : {};

/** @param {unknown} body @returns {string} */
function lastUserText(body) {
  const messages = /** @type {{ messages?: Array<{ role?: string, content?: unknown }> }} */ (body).messages ?? [];
  const content = messages.findLast((m) => m.role === "user")?.content;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((part) => (typeof part?.text === "string" ? part.text : "")).join("");
  return "";
}

const chunk = (/** @type {object} */ delta, /** @type {string | null} */ finish = null) => ({
  id: "chatcmpl-1",
  object: "chat.completion.chunk",
  created: 0,
  model: "scripted",
  choices: [{ index: 0, delta, finish_reason: finish }],
});

const server = createServer((req, res) => {
  let raw = "";
  req.on("data", (part) => (raw += part));
  req.on("end", async () => {
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      res.writeHead(req.url?.endsWith("/health") ? 200 : 404, { "content-type": "application/json" }).end('{"status": "ok"}');
      return;
    }
    const body = JSON.parse(raw);
    const text = lastUserText(body);
    const name = /scenario:([\w-]+)/.exec(text)?.[1];
    const steps = name === undefined ? undefined : scenarios[name];
    if (steps === undefined) {
      const answer = `ok: ${text}`;
      if (!body.stream) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            id: "chatcmpl-1",
            object: "chat.completion",
            choices: [{ index: 0, message: { role: "assistant", content: answer }, finish_reason: "stop" }],
            usage: { prompt_tokens: 5, completion_tokens: 3 },
          }),
        );
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: ${JSON.stringify(chunk({ role: "assistant", content: answer }))}\n\n`);
      res.write(`data: ${JSON.stringify(chunk({}, "stop"))}\n\n`);
      res.end("data: [DONE]\n\n");
      return;
    }
    const open = () => {
      if (!res.headersSent) res.writeHead(200, { "content-type": "text/event-stream" });
    };
    /** @type {Promise<unknown>} the last write, handed to the kernel once this settles */
    let written = Promise.resolve();
    const send = (/** @type {string} */ text) => {
      open();
      written = new Promise((resolve) => res.write(text, resolve));
    };
    for (const step of steps) {
      // A mark comes after what was written before it is on the wire, so a kill there cuts after it.
      if (typeof step.mark === "string") await written.then(() => process.stdout.write(`mark ${step.mark}\n`));
      else if (typeof step.delayMs === "number") await new Promise((resolve) => setTimeout(resolve, step.delayMs));
      else if (step.hang) return;
      else if (typeof step.write === "string") send(step.write);
      else if (step.chunk !== undefined) send(`data: ${JSON.stringify(step.chunk)}\n\n`);
      else if (step.done) return void (open(), res.end("data: [DONE]\n\n"));
    }
    res.end();
  });
});
server.listen(Number(values.port ?? 0), "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === "object" && address ? address.port : 0}\n`);
});
