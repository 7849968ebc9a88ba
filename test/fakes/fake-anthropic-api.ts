/**
 * A fake Anthropic Messages API on loopback, for the Claude tier: it records each request (path,
 * headers, parsed body) and answers with one message, "from the fake claude", or what `answer` says.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeAnthropicRequest {
  url: string;
  headers: IncomingHttpHeaders;
  body: { model: string; [key: string]: unknown };
}

export interface FakeAnthropicApi {
  url: string;
  received: FakeAnthropicRequest[];
  close(): Promise<void>;
}

export const FAKE_CLAUDE_MESSAGE = {
  id: "msg_1",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-6",
  content: [{ type: "text", text: "from the fake claude" }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 1, output_tokens: 2 },
};

/** keep: false: `received` stays empty (a memory test sends hundreds of 30 MB bodies). */
export async function startFakeAnthropicApi(
  answer?: (request: FakeAnthropicRequest, res: ServerResponse) => void,
  options: { keep?: boolean } = {},
): Promise<FakeAnthropicApi> {
  const received: FakeAnthropicRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      // Not parsed when nobody looks at it: the default answer does not depend on it.
      const body =
        options.keep === false && answer === undefined ? { model: "" } : (JSON.parse(Buffer.concat(chunks).toString("utf8")) as FakeAnthropicRequest["body"]);
      const request = { url: req.url ?? "", headers: req.headers, body };
      if (options.keep !== false) received.push(request);
      if (answer) return answer(request, res);
      res.writeHead(200, { "content-type": "application/json", "request-id": "req_fake" });
      res.end(JSON.stringify(FAKE_CLAUDE_MESSAGE));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
