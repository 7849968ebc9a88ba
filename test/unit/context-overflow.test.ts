import { describe, expect, it } from "vitest";
import { BackendError } from "../../src/backends/backend-error.js";
import { readContextOverflow } from "../../src/backends/context-overflow.js";
import { describeBackendFailure } from "../../src/pipeline/describe-backend-failure.js";

describe("readContextOverflow: each server's refusal of a prompt over its context", () => {
  it.each([
    ["llama-server", "request (9412 tokens) exceeds the available context size (8192 tokens), try increasing it", { promptTokens: 9412, contextTokens: 8192 }],
    ["mallex engine", "the prompt is 28922 tokens and this engine's context holds 4096", { promptTokens: 28922, contextTokens: 4096 }],
    [
      "vLLM",
      "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4000 in the messages, 1000 in the completion).",
      { promptTokens: 5000, contextTokens: 4096 },
    ],
    [
      "LM Studio",
      "Trying to keep the first 5120 tokens when context the overflows. However, the model is loaded with context length of only 4096 tokens, which is not enough.",
      { contextTokens: 4096 },
    ],
    ["older llama-server", "the request exceeds the available context size, try increasing it", {}],
  ])("%s", (_server, message, expected) => {
    expect(readContextOverflow(message)).toEqual(expected);
  });

  it("other failures are not overflows", () => {
    expect(readContextOverflow("model 'x' not found")).toBeUndefined();
    expect(readContextOverflow("Invalid JSON in tool arguments")).toBeUndefined();
  });
});

describe("describeBackendFailure: a server's context refusal is the API's 'prompt is too long'", () => {
  it("a llama-server 400 becomes invalid_request_error starting with 'prompt is too long: N tokens > M maximum', which Claude Code answers by compacting", () => {
    const body = JSON.stringify({
      error: {
        code: 400,
        message: "request (9412 tokens) exceeds the available context size (8192 tokens), try increasing it",
        type: "exceed_context_size_error",
        n_prompt_tokens: 9412,
        n_ctx: 8192,
      },
    });
    const error = new BackendError(
      "http",
      "local answered HTTP 400: request (9412 tokens) exceeds the available context size (8192 tokens), try increasing it",
      { backend: "local", url: "http://127.0.0.1:1/v1/chat/completions", status: 400, body },
    );
    const reply = describeBackendFailure(error, { kind: "openai" });
    expect(reply).toMatchObject({ status: 400, type: "invalid_request_error", retry: false });
    expect(reply.message).toMatch(/^prompt is too long: 9412 tokens > 8192 maximum for the context of the model server behind backend local/);
    // The fix that lifts the limit, in the server's own words: llama-server's -c, the engine's --ctx-size.
    expect(reply.message).toMatch(/Run \/compact or \/clear; for room to work in, serve a model whose context holds 32768 tokens/);
    expect(describeBackendFailure(error, { kind: "openai", flavor: "llama-server" }).message).toMatch(
      /Run \/compact or \/clear; for room to work in, start llama-server with -c 32768 \(--ctx-size\)\.$/,
    );
    expect(describeBackendFailure(error, { kind: "openai", flavor: "embedded" }).message).toMatch(/start mallex with --ctx-size 32768/);
  });

  it("another 400 stays the server's rejection", () => {
    const error = new BackendError("http", "local answered HTTP 400: bad tool schema", { backend: "local", url: "u", status: 400, body: "{}" });
    expect(describeBackendFailure(error, { kind: "openai" }).message).toMatch(/^The model server rejected the request/);
  });
});
