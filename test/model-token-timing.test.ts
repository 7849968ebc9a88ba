/**
 * Prefill and decode are timed by the model's first token, not the client's first block: an answer
 * that is one tool call reaches the client whole, after the model wrote all of it. Timed by the
 * client's block, the call's writing counted as prefill and its tokens as decoded in no time ("prefill
 * 30 tok/s · out 45 tok at 2369793 tok/s" on a real 1.5B coder), and the rates mallex learns for
 * routing were as wrong. A backend here takes ≥ 300 ms to its first token, then ≥ 600 ms to write
 * one Read call in 20 pieces.
 */
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestProxy } from "./helpers/test-proxy.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const chunk = (delta: object, finish: string | null = null, usage?: object) =>
  `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "m", choices: finish === "usage" ? [] : [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) })}\n\n`;

let backend: Server;
let url: string;
beforeAll(async () => {
  backend = createServer((req, res) => {
    req.resume();
    req.on("end", async () => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(chunk({ role: "assistant", content: "" }));
      await sleep(300);
      const args = JSON.stringify({ file_path: "/project/src/main.ts" });
      const pieces = Array.from({ length: 20 }, (_, i) => args.slice(Math.floor((i * args.length) / 20), Math.floor(((i + 1) * args.length) / 20)));
      res.write(chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "Read", arguments: "" } }] }));
      for (const piece of pieces) {
        await sleep(30);
        res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
      }
      res.write(chunk({}, "tool_calls"));
      res.write(chunk({}, "usage", { prompt_tokens: 300, completion_tokens: 40, total_tokens: 340 }));
      res.end("data: [DONE]\n\n");
    });
  });
  backend.listen(0, "127.0.0.1");
  await once(backend, "listening");
  url = `http://127.0.0.1:${(backend.address() as AddressInfo).port}/v1`;
});
afterAll(() => {
  backend.closeAllConnections();
  return new Promise<void>((resolve) => backend.close(() => resolve()));
});

describe("prefill and decode of a streamed tool call", () => {
  it("split at the model's first token: the call's writing is decode, not prefill", async () => {
    const proxy = createTestProxy({ backendUrl: url });
    const response = await proxy.post("/v1/messages", {
      model: "claude-sonnet-4-6",
      max_tokens: 200,
      stream: true,
      tools: [
        { name: "Read", description: "Read a file", input_schema: { type: "object", properties: { file_path: { type: "string" } }, required: ["file_path"] } },
      ],
      messages: [{ role: "user", content: "Read src/main.ts" }],
    });
    const text = await response.text();
    expect(text).toContain('"name":"Read"');
    const line = proxy.logs.find((l) => l.includes(" · stop "))!;
    const ttft = Number(/ttft ([\d.]+) s/.exec(line)![1]);
    const prefill = Number(/prefill (\d+) tok\/s/.exec(line)![1]);
    const decode = Number(/out 40 tok at (\d+) tok\/s/.exec(line)![1]);
    // 40 tokens over ≥ 600 ms of writing: at most ~67 tok/s (timed by the client's block it was "infinite").
    expect(decode, line).toBeLessThanOrEqual(70);
    // The prefill ended ≥ 600 ms before the client's first block: well under the ttft.
    expect(300 / prefill, line).toBeLessThan(ttft - 0.5);
  });
});
