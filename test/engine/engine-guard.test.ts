import { readFileSync } from "node:fs";
import { request } from "node:http";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ENGINE_MAX_BODY_ENV, ENGINE_TOKEN_ENV } from "../../src/engine/guard-engine-request.js";
import { MALLEX_BIN } from "../helpers/run-cli.js";
import { describeWithShared, sharedPath } from "../helpers/shared-dir.js";

/**
 * `mallex engine` as a process (the built CLI), guarded like the proxy: a foreign Host or a browser's
 * foreign Origin (a page's `text/plain` form POST) gets a 403 and no generation, a request without the
 * token mallex gave it a 401, and a 200 MB body a 413 before it is held: the engine's RSS stays small.
 * Its body limit is the one mallex passes (the proxy's server.max_body_mb), 32 MB when run by hand.
 */
const TOKEN = "engine-guard-test-token-0123456789";
const chat = JSON.stringify({ messages: [{ role: "user", content: "Once upon a time" }], max_tokens: 4, temperature: 0 });

/** VmRSS of a process, in MB (Linux). */
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

interface StartedEngine {
  process: ResultPromise;
  url: string;
  output(): string;
}

const startEngine = (env: Record<string, string>) =>
  execa("node", [MALLEX_BIN, "engine", "--model", sharedPath("models", "stories260K-chatml.gguf"), "--port", "0", "--threads", "1", "--ctx-size", "512"], {
    env,
    reject: false,
    stdin: "ignore",
    all: true,
  });

/** `mallex engine` with this environment, once it listens. */
async function startListening(env: Record<string, string>): Promise<StartedEngine> {
  const engine = startEngine(env);
  let output = "";
  engine.all?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  for (const deadline = Date.now() + 60_000; ; await new Promise((resolve) => setTimeout(resolve, 50))) {
    const listening = /server is listening on (http:\/\/\S+)\/v1/.exec(output);
    if (listening) return { process: engine, url: listening[1]!, output: () => output };
    if (engine.exitCode !== null || Date.now() > deadline) {
      // Quoted once it is stopped and its output read to the end: its last lines may still be in the pipe as it exits.
      engine.kill("SIGTERM");
      await engine;
      throw new Error(`the engine did not start:\n${output}`);
    }
  }
}

describeWithShared("mallex engine refuses what mallex did not send", () => {
  let engine: ResultPromise;
  let url = "";
  let started: StartedEngine;
  beforeAll(async () => {
    started = await startListening({ [ENGINE_TOKEN_ENV]: TOKEN });
    engine = started.process;
    url = started.url;
  }, 70_000);
  afterAll(async () => {
    engine?.kill("SIGTERM");
    await engine;
  });

  const generations = () =>
    started
      .output()
      .split("\n")
      .filter((line) => / · prompt \d+ tok/.test(line)).length;

  it("answers the token's bearer: health, props and a generation", async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await fetch(`${url}/health`, { headers: auth })).status).toBe(200);
    expect(((await (await fetch(`${url}/props`, { headers: auth })).json()) as { total_slots: number }).total_slots).toBe(1);
    const before = generations();
    const answer = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: chat });
    expect(answer.status).toBe(200);
    expect(generations()).toBe(before + 1);
  });

  it("refuses a request without the token (or with another one) with a 401 in OpenAI's shape, before any generation", async () => {
    const before = generations();
    for (const headers of [{}, { authorization: "Bearer not-the-token" }, { authorization: TOKEN.slice(0, -1) }] as Array<Record<string, string>>) {
      const refused = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: chat });
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { error: { type: string; message: string } }).error).toMatchObject({
        type: "authentication_error",
        message: expect.stringContaining("token"),
      });
    }
    for (const path of ["/health", "/props", "/v1/models"]) expect((await fetch(`${url}${path}`)).status).toBe(401);
    expect(generations()).toBe(before);
  });

  it("a foreign-Origin text/plain POST (what a web page can send) and a foreign Host get a 403, no generation, token or not", async () => {
    const before = generations();
    for (const auth of [{}, { authorization: `Bearer ${TOKEN}` }] as Array<Record<string, string>>) {
      const page = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { ...auth, "content-type": "text/plain", origin: "http://evil.example", "sec-fetch-site": "cross-site" },
        body: chat,
      });
      expect(page.status).toBe(403);
      expect(((await page.json()) as { error: { type: string } }).error.type).toBe("permission_error");
      const rebound = await rawPost(url, "/v1/chat/completions", { ...auth, host: "evil.example:80", "content-type": "application/json" }, chat);
      expect(rebound.status).toBe(403);
    }
    expect(generations()).toBe(before);
  });

  it("refuses a 200 MB body with a 413, declared or chunked, and stays small", async () => {
    const pid = engine.pid!;
    const rssBefore = rssMb(pid);
    const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
    const size = 200 * 1024 * 1024;
    const declared = await streamPost(url, { ...auth, "content-length": String(size) }, size);
    expect(declared.status).toBe(413);
    const chunked = await streamPost(url, auth, size);
    expect(chunked.status).toBe(413);
    expect(chunked.body).toContain("larger than the mallex engine accepts (32 MB)");
    // Never more than the limit held (32 MB), nowhere near the 200 MB sent (2.97 GB before the guard).
    expect(rssMb(pid) - rssBefore).toBeLessThan(100);
    // It still serves.
    expect((await fetch(`${url}/health`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  }, 60_000);
});

describeWithShared("mallex engine's body limit is the one mallex passes it", () => {
  let started: StartedEngine | undefined;
  afterAll(async () => {
    started?.process.kill("SIGTERM");
    await started?.process;
  });

  it("MALLEX_ENGINE_MAX_BODY_BYTES (the proxy's server.max_body_mb, as mallex starts it): a body over it is a 413 naming it, one under it is read", async () => {
    started = await startListening({ [ENGINE_MAX_BODY_ENV]: String(2 * 1024 * 1024) });
    const json = { "content-type": "application/json" };
    const over = await streamPost(started.url, json, 3 * 1024 * 1024);
    expect(over.status).toBe(413);
    expect(over.body).toContain("larger than the mallex engine accepts (2 MB)");
    // 1.5 MB under it (in a field the engine ignores, so the prompt stays short): read and answered.
    const under = await fetch(`${started.url}/v1/chat/completions`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ messages: [{ role: "user", content: "Once upon a time" }], max_tokens: 1, padding: "a".repeat(1536 * 1024) }),
    });
    expect(under.status).toBe(200);
  }, 70_000);

  it("a limit that is not a whole number of bytes is a usage error, not a silent default", async () => {
    const result = await startEngine({ [ENGINE_MAX_BODY_ENV]: "32MB" });
    expect(result.exitCode).toBe(2);
    expect(result.all).toContain(`${ENGINE_MAX_BODY_ENV} must be a whole number ≥ 1, got "32MB"`);
  }, 30_000);
});

/** A POST with a Host header of the caller's choosing (fetch does not let a caller set Host). */
function rawPost(base: string, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: "POST", headers: { ...headers, "content-length": Buffer.byteLength(body) } }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * POSTs `size` bytes of JSON-ish text in 1 MB writes, stopping once the answer is in (a client that got
 * its 413 stops sending); resolves with the answer. Without content-length the body goes chunked.
 */
function streamPost(base: string, headers: Record<string, string>, size: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(`${base}/v1/chat/completions`, { method: "POST", headers }, (res) => {
      answered = true;
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: text });
      });
    });
    req.on("error", (error) => (answered ? undefined : reject(error)));
    const chunk = Buffer.alloc(1024 * 1024, "a");
    let sent = 0;
    const pump = () => {
      while (!answered && sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}
