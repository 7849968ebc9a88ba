import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDebugLevel } from "../../src/cli/args/parse-debug-level.js";
import type { RoutingTable } from "../../src/compile/routing-table.js";
import { clip, describeResponse, describeTrim, describeUpstreamRequest } from "../../src/observe/debug-lines.js";
import { formatLastRequest } from "../../src/observe/format-last-request.js";
import { createRedactor, REDACTED } from "../../src/observe/redact-secrets.js";
import { readForwardedAnswer, summarizeResponse } from "../../src/observe/response-summary.js";
import { createLastRequestSaver } from "../../src/observe/save-last-request.js";
import type { TrimReport } from "../../src/trim/trim-types.js";

describe("parseDebugLevel (MALLEX_DEBUG)", () => {
  it("reads 1, 2 and 3; unset, empty and 0 are off", () => {
    expect([undefined, "", "0", " 1 ", "2", "3"].map(parseDebugLevel)).toEqual([0, 0, 0, 1, 2, 3]);
  });
  it("refuses anything else with a usage error that says what to write", () => {
    for (const value of ["yes", "true", "4", "-1", "1.5"]) {
      expect(() => parseDebugLevel(value)).toThrow(new RegExp(`MALLEX_DEBUG must be 1, 2 or 3 \\(or 0 for off\\), got "${value.replace(".", "\\.")}"`));
    }
  });
});

describe("debug lines", () => {
  it("clips long text and says how much was left out", () => {
    expect(clip("abcdef", 4)).toBe("abcd… (+2 chars)");
    expect(clip("abc", 4)).toBe("abc");
  });

  it("describe the trimming rule by rule, the upstream call and the end", () => {
    const report: TrimReport = {
      rules: [
        { rule: "billing-header", target: "system.0", charsRemoved: 74 },
        { rule: "tools-prompt", target: "system", charsRemoved: -120 },
      ],
      before: { chars: 76198, tokens: 19000 },
      after: { chars: 9895, tokens: 3200 },
      system: { mode: "template", template: "system-medium", sections: ["environment"] },
      tools: { mode: "native", offered: ["Bash"], client: [] },
      prefixTokens: 0,
      user: [],
    };
    expect(describeTrim(report)).toEqual([
      "trim: 76,198 → 9,895 chars, ~19,000 → ~3,200 tok · system: template system-medium [environment] · tools: native, 1 offered [Bash] · 2 rule hits",
      "trim rule billing-header at system.0: −74 chars",
      "trim rule tools-prompt at system: +120 chars",
    ]);
    expect(describeUpstreamRequest("http://h/v1/chat/completions", JSON.stringify({ model: "qwen", stream: true }))).toBe(
      "upstream → POST http://h/v1/chat/completions · model qwen · streamed · 30 bytes",
    );
    expect(
      describeResponse({
        status: 200,
        outcome: "ok",
        durationMs: 356,
        ttftMs: 40,
        stopReason: "end_turn",
        inputTokens: 3207,
        cachedTokens: 0,
        outputTokens: 6,
      }),
    ).toBe("response: 200 ok after 356 ms · ttft 40 ms · stop end_turn · in 3,207 tok (0 cached) · out 6 tok");
  });
});

describe("response summary", () => {
  it("reads a forwarded Anthropic stream's usage and stop reason from its ends, and its error", () => {
    const sse = [
      'event: message_start\ndata: {"type":"message_start","message":{"stop_reason":null,"usage":{"input_tokens":12,"cache_read_input_tokens":3,"output_tokens":1}}}',
      'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_delta","text":"say \\"stop_reason\\":\\"fake\\""}}',
      'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":7}}',
    ].join("\n\n");
    expect(readForwardedAnswer(sse)).toMatchObject({ stopReason: "end_turn", inputTokens: 12, cachedTokens: 3, outputTokens: 7 });
    expect(readForwardedAnswer('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded \\"now\\""}}').error).toBe(
      'Overloaded "now"',
    );
  });

  it("takes an error answer's message, else what was thrown", () => {
    const base = { status: 503, outcome: "error" as const, started: 10, finishedAt: 25 };
    expect(summarizeResponse({ ...base, errorBody: JSON.stringify({ type: "error", error: { type: "api_error", message: "not reachable" } }) })).toEqual({
      status: 503,
      outcome: "error",
      durationMs: 15,
      error: "not reachable",
    });
    expect(summarizeResponse({ ...base, status: 500, thrown: new Error("boom") }).error).toBe("boom");
  });
});

describe("the saved last request", () => {
  const table = { backends: { local: { kind: "openai", flavor: "mlx-lm", headers: {} } } } as unknown as RoutingTable;
  const redact = createRedactor(["backend-key-123456"]);

  it("is four JSON files naming the request, credentials redacted", () => {
    const files = formatLastRequest(
      {
        requestId: "req_1",
        receivedAt: "2026-11-22T12:00:00.000Z",
        method: "POST",
        path: "/v1/messages?beta=true",
        headers: new Headers({ "x-api-key": "client-key", "content-type": "application/json" }),
        body: JSON.stringify({ model: "claude-opus-4-8", messages: [{ role: "user", content: "hi backend-key-123456" }] }),
        calls: [
          {
            url: "http://127.0.0.1:1/v1/chat/completions",
            headers: { authorization: "Bearer backend-key-123456" },
            body: '{"messages":[]}',
            status: 200,
            headersMs: 4,
          },
        ],
        trims: [],
        summary: { status: 200, outcome: "ok", durationMs: 9, stopReason: "end_turn", outputTokens: 2 },
      },
      table,
      redact,
    );
    expect(Object.keys(files).sort()).toEqual(["request.json", "response.json", "route.json", "upstream.json"]);
    const parsed = Object.fromEntries(Object.entries(files).map(([name, text]) => [name, JSON.parse(text) as Record<string, unknown>]));
    for (const file of Object.values(parsed)) expect(file.request_id).toBe("req_1");
    expect(JSON.stringify(parsed)).not.toContain("backend-key-123456");
    expect(JSON.stringify(parsed)).not.toContain("client-key");
    expect(parsed["request.json"]).toMatchObject({ path: "/v1/messages?beta=true", headers: { "x-api-key": REDACTED }, body: { model: "claude-opus-4-8" } });
    expect(parsed["upstream.json"]).toMatchObject({
      url: "http://127.0.0.1:1/v1/chat/completions",
      headers: { authorization: REDACTED },
      body: { messages: [] },
      status: 200,
    });
    expect(parsed["route.json"]).toEqual({ request_id: "req_1", routed: false });
    expect(parsed["response.json"]).toMatchObject({ status: 200, stop_reason: "end_turn", usage: { output_tokens: 2 }, error: null });
  });

  it("is written one set at a time after the turn, the latest queued winning, and a failure said once", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "mallex-last-")), "last-request");
    const deferred: Array<() => Promise<void>> = [];
    const errors: string[] = [];
    const saver = createLastRequestSaver(dir, { onError: (m) => errors.push(m), defer: (run) => deferred.push(run) });
    let built = 0;
    saver.save(() => (built++, { "a.json": "1" }));
    saver.save(() => (built++, { "a.json": "2" }));
    expect(deferred).toHaveLength(1);
    await deferred.shift()!();
    expect(built).toBe(1);
    expect(readFileSync(join(dir, "a.json"), "utf8")).toBe("2");
    expect(readdirSync(dir)).toEqual(["a.json"]);

    const blocked = join(mkdtempSync(join(tmpdir(), "mallex-last-")), "file");
    writeFileSync(blocked, "not a folder");
    const failing = createLastRequestSaver(join(blocked, "last-request"), { onError: (m) => errors.push(m), defer: (run) => void run() });
    failing.save(() => ({ "a.json": "1" }));
    await failing.flush();
    failing.save(() => ({ "a.json": "2" }));
    await failing.flush();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^mallex: cannot save the last request in .*last-request: /);
  });

  it("two savers on one folder (two mallex on one MALLEX_HOME) never leave files of two requests mixed, nor anything of theirs beside it", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-last-"));
    const dir = join(home, "last-request");
    const savers = ["a", "b"].map((who) => ({ who, saver: createLastRequestSaver(dir, { onError: (m) => expect.fail(m), defer: () => {} }) }));
    const set = (id: string) =>
      Object.fromEntries(["request.json", "upstream.json", "route.json", "response.json"].map((name) => [name, `{"request_id":"${id}","file":"${name}"}\n`]));
    for (let round = 0; round < 40; round++) {
      for (const { who, saver } of savers) saver.save(() => set(`${who}-${round}`));
      await Promise.all(savers.map(({ saver }) => saver.flush()));
      const files = readdirSync(dir).sort();
      expect(files).toEqual(["request.json", "response.json", "route.json", "upstream.json"]);
      const ids = new Set(files.map((name) => (JSON.parse(readFileSync(join(dir, name), "utf8")) as { request_id: string }).request_id));
      expect(ids.size, [...ids].join(", ")).toBe(1);
      expect([...ids][0]).toMatch(new RegExp(`^[ab]-${round}$`));
    }
    expect(readdirSync(home)).toEqual(["last-request"]);
    if (process.platform !== "win32") expect(statSync(dir).mode & 0o777).toBe(0o700);
  });
});
