import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { rawRequest } from "./fakes/raw-http.js";
import { arrayToStream, parseSSE, readSSE, streamToArray } from "./fakes/read-sse.js";

const CLI = fileURLToPath(new URL("./fakes/mlx-lm-server-cli.js", import.meta.url));
const OOM = "[METAL] Command buffer execution failed: Insufficient Memory (00000008:kIOGPUCommandBufferCallbackErrorOutOfMemory)";
const chatBody = (extra: object = {}) => ({ messages: [{ role: "user", content: "hi" }], max_tokens: 50, ...extra });

interface Started {
  child: ChildProcess;
  port: number;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
});

async function startCli(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [CLI, "--port", "0", "--model", "mlx-community/Test-4bit", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  children.push(child);
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const port = await waitFor(() => /Starting httpd at 127\.0\.0\.1 on port (\d+)\.\.\./.exec(stderr)?.[1]);
  return { child, port: Number(port), stderr: () => stderr, exited };
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 10))) {
    const value = probe();
    if (value !== undefined) return value;
  }
  throw new Error("timed out");
}

describe("mlx-lm-server-cli.js (process mode)", () => {
  it("starts with the real server's logs, answers, and dies by SIGTERM like the Python process", async () => {
    const cli = await startCli(["--temp", "0.7", "--prompt-cache-size", "4", "--trust-remote-code"]);
    expect(cli.stderr()).toContain("UserWarning: mlx_lm.server is not recommended for production");
    await waitFor(() => (cli.stderr().includes("Fetching 9 files: 100%|██████████| 9/9") ? true : undefined));
    const health = await rawRequest(cli.port, { method: "GET", path: "/health" });
    expect([health.statusLine, health.body]).toEqual(["HTTP/1.0 200 OK", '{"status": "ok"}']);
    const chat = await rawRequest(cli.port, { path: "/v1/chat/completions", body: chatBody() });
    expect(JSON.parse(chat.body)).toMatchObject({ choices: [{ message: { content: "hi" } }] });
    expect(cli.stderr()).toContain('"POST /v1/chat/completions HTTP/1.1"');
    cli.child.kill("SIGTERM");
    expect(await cli.exited).toEqual({ code: null, signal: "SIGTERM" });
  });

  it("exits 0 on SIGINT", async () => {
    const cli = await startCli([]);
    cli.child.kill("SIGINT");
    expect(await cli.exited).toEqual({ code: 0, signal: null });
  });

  it("--load-ms: /health is ok at once, the first generation waits for the load; --download-progress prints tqdm updates", async () => {
    const cli = await startCli(["--load-ms", "2000", "--download-progress"]);
    let answered = false;
    const generation = rawRequest(cli.port, { path: "/v1/chat/completions", body: chatBody() }).finally(() => (answered = true));
    expect((await rawRequest(cli.port, { method: "GET", path: "/health" })).status).toBe(200);
    expect(answered).toBe(false);
    expect((await generation).status).toBe(200);
    expect(cli.stderr()).toMatch(/Fetching 9 files: {3}0%\|.*\| 0\/9/);
    expect(cli.stderr()).toMatch(/\rmodel-00001-of-00004\.safetensors: {2}20%\|/);
    await waitFor(() => (cli.stderr().includes("Fetching 9 files: 100%|") ? true : undefined));
  });

  it("--oom: the first stream gets its headers and a keepalive, then EOF; the process aborts with 134", async () => {
    const cli = await startCli(["--oom"]);
    const res = await rawRequest(cli.port, { path: "/v1/chat/completions", body: chatBody({ stream: true }) });
    expect(res.status).toBe(200);
    expect(parseSSE(res.body).map((e) => e.comment ?? e.data)).toEqual(["keepalive 0/10"]);
    expect(await cli.exited).toEqual({ code: 134, signal: null });
    expect(cli.stderr()).toContain(`libc++abi: terminating due to uncaught exception of type std::runtime_error: ${OOM}`);
  });

  it("--crash-after-requests: serves N generations, then the process dies", async () => {
    const cli = await startCli(["--crash-after-requests", "1"]);
    expect((await rawRequest(cli.port, { path: "/v1/chat/completions", body: chatBody() })).status).toBe(200);
    expect(await cli.exited).toEqual({ code: 139, signal: null });
    expect(cli.stderr()).toContain("Fatal Python error: Segmentation fault");
  });

  it("--wedge-after-requests: afterwards nothing answers, /health included (or only generations hang)", async () => {
    const all = await startCli(["--wedge-after-requests", "1"]);
    await rawRequest(all.port, { path: "/v1/chat/completions", body: chatBody() });
    expect((await rawRequest(all.port, { method: "GET", path: "/health", timeoutMs: 200 })).ended).toBe("timeout");
    const generation = await startCli(["--wedge-after-requests", "1", "--wedge-mode", "generation"]);
    await rawRequest(generation.port, { path: "/v1/chat/completions", body: chatBody() });
    expect((await rawRequest(generation.port, { method: "GET", path: "/health" })).status).toBe(200);
    const hung = await rawRequest(generation.port, { path: "/v1/chat/completions", body: chatBody({ stream: true }), timeoutMs: 200 });
    expect([hung.raw.length, hung.ended]).toEqual([0, "timeout"]);
  });

  it("--script and --max-tokens drive the replies", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "fake-mlx-")), "script.json");
    writeFileSync(file, JSON.stringify([{ text: "one two three four five" }]));
    const cli = await startCli(["--script", file, "--max-tokens", "3"]);
    const res = await rawRequest(cli.port, { path: "/v1/chat/completions", body: { messages: [{ role: "user", content: "x" }] } });
    expect(JSON.parse(res.body)).toMatchObject({ choices: [{ finish_reason: "length", message: { content: "one two three" } }] });
  });

  it("rejects an unknown flag like argparse (exit 2)", async () => {
    const child = spawn(process.execPath, [CLI, "--bogus"], { stdio: ["ignore", "ignore", "pipe"] });
    children.push(child);
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (text: string) => (stderr += text));
    const code = await new Promise((resolve) => child.once("exit", resolve));
    expect(code).toBe(2);
    expect(stderr).toContain("mlx_lm.server: error:");
  });
});

describe("read-sse helpers", () => {
  it("parses events, comments, multi-line data and CRLF; drops a trailing event with no blank line", () => {
    const text = ': keepalive 0/5\r\n\r\nevent: ping\r\nid: 7\r\ndata: a\r\ndata:b\r\n\r\ndata: [DONE]\n\ndata: {"cut';
    expect(parseSSE(text)).toEqual([
      { data: "", comment: "keepalive 0/5" },
      { event: "ping", data: "a\nb", id: "7" },
      { data: "[DONE]", id: "7" }, // the last event id persists, per the spec
    ]);
  });

  it("reads a byte stream split inside a multi-byte character, and round-trips arrays", async () => {
    const bytes = new TextEncoder().encode("data: héllo\n\n");
    const split = arrayToStream([bytes.slice(0, 8), bytes.slice(8)]);
    expect(await readSSE(split)).toEqual([{ data: "héllo" }]);
    expect(await streamToArray(arrayToStream([1, 2, 3]))).toEqual([1, 2, 3]);
  });
});
