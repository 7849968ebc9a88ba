/**
 * `mallex status` against a real `mallex proxy` (the built CLI: `npm run build` first, as `npm test`
 * does): it finds the proxy through its record in MALLEX_HOME/proxies/, prints its model servers and last
 * requests with the model asked for and the profile each went to (with -f, each new one as it ends),
 * and says in words when no mallex runs or its token is missing.
 */
import { existsSync, mkdtempSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveProxies, proxyRecordPath, writeProxyRecord } from "../src/supervisor/processes/proxy-records.js";
import { llamaServerProps, startFactsServer } from "./fakes/fake-facts-servers.js";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { ONE_LOCAL_PROFILE, writeTree } from "./helpers/config-tree.js";
import { startProxyProcess } from "./helpers/mallex-process.js";
import { MALLEX_BIN, runCli } from "./helpers/run-cli.js";
import { execa } from "execa";

async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !check(); await new Promise((resolve) => setTimeout(resolve, 20))) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
  }
}

let mlx: FakeMlxServer;
beforeAll(async () => {
  mlx = await createFakeMlxServer({ model: "test-model" });
});
afterAll(() => mlx.close());

const ask = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model: "claude-status-test", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }),
  });

describe("mallex status", () => {
  it("shows a request under way with its server's prefill progress while Claude Code waits on it", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-status-"));
    const config = join(writeTree({ "mallex.yaml": ONE_LOCAL_PROFILE }), "mallex.yaml");
    const proxy = await startProxyProcess(["--config", config, "--backend-url", `${mlx.url}`], home);
    try {
      mlx.script({ text: "ok", prefillMs: 3_000 });
      const answering = fetch(`${proxy.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "claude-status-test", max_tokens: 16, stream: true, messages: [{ role: "user", content: "hi" }] }),
      });
      let status = await runCli(["status"], { env: { MALLEX_HOME: home } });
      // Until the server's first progress comment has come through (the answer takes 3 s to begin).
      while (!status.stdout.includes(" · prefill 0 of ")) status = await runCli(["status"], { env: { MALLEX_HOME: home } });
      expect(status.stdout).toMatch(/\nUnder way:\n {2}req_\S+ · medium → coder · prefill 0 of \d+ prompt tokens \(0%\) · \d+ s\n/);
      await (await answering).text();
      expect((await runCli(["status"], { env: { MALLEX_HOME: home } })).stdout).not.toContain("Under way:");
    } finally {
      await proxy.stop();
    }
  });

  it("prints the running mallex's servers and last requests, found through MALLEX_HOME", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-status-"));
    const config = join(writeTree({ "mallex.yaml": ONE_LOCAL_PROFILE }), "mallex.yaml");
    const proxy = await startProxyProcess(["--config", config, "--backend-url", `${mlx.url}`], home);
    try {
      expect(liveProxies(home).map((entry) => entry.record)).toEqual([expect.objectContaining({ url: proxy.url, pid: proxy.process.pid })]);
      const answer = await ask(proxy.url);
      expect(answer.status, await answer.clone().text()).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const status = await runCli(["status"], { env: { MALLEX_HOME: home } });
      expect(status.stderr).toBe("");
      expect(status.exitCode).toBe(0);
      // No token: the page opens as it is, and `mallex proxy` said so too.
      // The config's files, as the proxy itself named them when it started (issue 50).
      expect(status.stdout).toContain(`mallex at ${proxy.url} (pid ${proxy.process.pid})\n  dashboard: ${proxy.url}/ui\n  config: ${config} (--config)\n`);
      expect(proxy.output()).toContain(`  dashboard: ${proxy.url}/ui\n  config: ${config} (--config)\n`);
      expect(status.stdout).toMatch(/claude-status-test → medium\/coder \(local, /);
      // --backend-url: the server runs already, and no request starts one.
      expect(status.stdout).toContain("Model servers:\n  none: this mallex starts no model server (its backends are servers that run already)\n");
      expect(status.stdout).not.toContain("first request");

      // -f: the summary, then each request as it ends, until Ctrl-C.
      const follow = execa("node", [MALLEX_BIN, "status", "-f"], { env: { MALLEX_HOME: home }, reject: false, stdin: "ignore" });
      let printed = "";
      follow.stdout?.on("data", (chunk: Buffer) => (printed += chunk.toString()));
      await eventually(() => printed.includes("Requests:"));
      await (await ask(proxy.url)).text();
      await eventually(() => printed.split("claude-status-test → medium/coder").length === 3);
      follow.kill("SIGINT");
      expect((await follow).exitCode).toBe(0);
    } finally {
      await proxy.stop();
    }
    // A mallex that ended removes its record.
    expect(existsSync(proxyRecordPath(home, proxy.process.pid!))).toBe(false);
  });

  it("prints one line per pool server: its URL, breaker state, requests and sessions", async () => {
    const other = await createFakeMlxServer({ model: "test-model" });
    const home = mkdtempSync(join(tmpdir(), "mallex-status-"));
    const config = join(writeTree({ "mallex.yaml": ONE_LOCAL_PROFILE }), "mallex.yaml");
    const proxy = await startProxyProcess(["--config", config, "--backend-url", mlx.url, "--backend-url", other.url], home);
    try {
      const answer = await ask(proxy.url, { "x-claude-code-session-id": "pooled" });
      expect(answer.status, await answer.clone().text()).toBe(200);
      const status = await runCli(["status"], { env: { MALLEX_HOME: home } });
      expect(status.exitCode).toBe(0);
      const pools = status.stdout.split("\n").filter((line) => /^ {2}local http:\S+: (closed|open|half-open) ·/.test(line));
      expect(pools).toEqual([
        expect.stringMatching(new RegExp(`^  local ${mlx.url}: closed · 0 requests \\(0 in flight, 0 queued\\) · [01] sessions?$`)),
        expect.stringMatching(new RegExp(`^  local ${other.url}: closed · 0 requests \\(0 in flight, 0 queued\\) · [01] sessions?$`)),
      ]);
      expect(status.stdout).toContain("\nPools:\n");
      // Each server of the pool has its own queue, with the backend's capacity (flavor generic: 64).
      for (const url of [mlx.url, other.url])
        expect(status.stdout).toContain(
          `\n  local ${url}: 64 at once (default for generic), 256 may wait (4 × in flight, at least 16) · 0 in flight, 0 queued\n`,
        );
      expect(status.stdout).toContain("1 session");
    } finally {
      await proxy.stop();
      await other.close();
    }
  });

  it("prints each profile's context in effect: the window its server's /props says, the declared one it lowered, and the budget", async () => {
    // A llama-server started with -c 8192 -np 2: 4,096 tokens per slot.
    const llama = await startFactsServer((request) =>
      request.method === "GET" && request.path === "/props"
        ? { body: llamaServerProps({ nCtx: 4096, totalSlots: 2, modelPath: "/models/tiny.gguf" }) }
        : undefined,
    );
    const home = mkdtempSync(join(tmpdir(), "mallex-status-"));
    const config = join(
      writeTree({
        "mallex.yaml": `backends:
  ext: { kind: openai, flavor: llama-server, base_url: "${llama.url}" }
profiles:
  tiny: { backend: ext, model: tiny, size: small, context_window: 32768, input_budget: 20000 }
tiers:
  medium: { profile: tiny }
`,
      }),
      "mallex.yaml",
    );
    const proxy = await startProxyProcess(["--config", config], home);
    try {
      const status = await runCli(["status"], { env: { MALLEX_HOME: home } });
      expect(status.exitCode).toBe(0);
      expect(status.stdout).toContain(
        "\n  ext: 2 at once (server: llama-server GET /props), 16 may wait (4 × in flight, at least 16) · 0 in flight, 0 queued\n",
      );
      expect(status.stdout).toContain(
        "\nContext (tokens one request holds, and the prompt budget trimming aims for):\n  tiny (ext): 4096 tokens (llama-server GET /props; context_window 32768 lowered to it) · prompt budget 3072\n",
      );
    } finally {
      await proxy.stop();
      await llama.close();
    }
  });

  it("names each mallex's dashboard by the link that opens it, token included: the one in its record, or the one it was asked with (issue 50)", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-status-"));
    const config = join(writeTree({ "mallex.yaml": `${ONE_LOCAL_PROFILE}server: { auth_token: "status-token-42" }\n` }), "mallex.yaml");
    const proxy = await startProxyProcess(["--config", config, "--backend-url", `${mlx.url}`], home);
    try {
      // mallex proxy prints the link that opens the page, not a bare /ui that only asks for the token.
      expect(proxy.output()).toContain(`  dashboard: ${proxy.url}/ui#token=status-token-42\n`);
      const asked = await runCli(["status", "--token", "status-token-42"], { env: { MALLEX_HOME: home } });
      expect(asked.stdout).toContain(`mallex at ${proxy.url} (pid ${proxy.process.pid})\n  dashboard: ${proxy.url}/ui#token=status-token-42\n`);

      // As `mallex run` records its session's token: status finds it there, and the link carries it.
      const [entry] = liveProxies(home);
      writeProxyRecord(home, { ...entry!.record, token: "status-token-42" });
      const recorded = await runCli(["status"], { env: { MALLEX_HOME: home } });
      expect(recorded.exitCode, recorded.stderr).toBe(0);
      const link = /^ {2}dashboard: (\S+)$/m.exec(recorded.stdout)?.[1];
      expect(link).toBe(`${proxy.url}/ui#token=status-token-42`);
      // What the page does with it: the fragment's token opens the data.
      const token = decodeURIComponent(/#token=([^&]+)$/.exec(link!)![1]!);
      expect((await fetch(`${proxy.url}/ui`)).status).toBe(200);
      expect((await fetch(`${proxy.url}/ui/api/snapshot`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    } finally {
      await proxy.stop();
    }
  });

  it("says how to start one when none runs, and asks for the token where one is needed", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-status-"));
    const none = await runCli(["status"], { env: { MALLEX_HOME: home } });
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toContain("No running mallex found");
    expect(none.stderr).not.toContain("    at ");

    const config = join(writeTree({ "mallex.yaml": `${ONE_LOCAL_PROFILE}server: { auth_token: "status-token-42" }\n` }), "mallex.yaml");
    const proxy = await startProxyProcess(["--config", config, "--backend-url", `${mlx.url}`], home);
    try {
      const refused = await runCli(["status"], { env: { MALLEX_HOME: home } });
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toContain("requires its token: pass --token");
      const shown = await runCli(["status", "--token", "status-token-42"], { env: { MALLEX_HOME: home } });
      expect(shown.exitCode).toBe(0);
      expect(shown.stdout).toContain("Requests:");
    } finally {
      await proxy.stop();
    }
    const gone = await runCli(["status", "--url", proxy.url], { env: { MALLEX_HOME: home } });
    expect(gone.stderr).toContain(`No mallex answers at ${proxy.url}`);
  });
});

describe("mallex status asking something that is not a well-behaved mallex", () => {
  /** A server on a port `mallex status --url` is pointed at, that answers every request with `answer`. */
  async function withPeer(answer: (res: ServerResponse) => Promise<void>, run: (url: string) => Promise<void>): Promise<void> {
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { "content-type": req.url === "/ui/events" ? "text/event-stream" : "application/json" });
      void answer(res);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  }

  /** Writes `piece` until the reader hangs up. */
  const endless = (piece: string) => async (res: ServerResponse) => {
    while (!res.destroyed) if (!res.write(piece)) await new Promise((resolve) => res.once("drain", resolve).once("close", resolve));
  };
  const status = (args: string[]) => runCli(["status", ...args], { env: { MALLEX_HOME: mkdtempSync(join(tmpdir(), "mallex-status-")) } });

  it("an endless snapshot: read up to 16 MiB, then one sentence, exit 1", async () => {
    await withPeer(endless(`{"requests":[${"0,".repeat(32 * 1024)}`), async (url) => {
      const result = await status(["--url", url]);
      expect(result.exitCode).toBe(1);
      expect(result.stderr.trim()).toBe(`mallex at ${url} answered with a snapshot larger than 16 MiB, which no mallex sends: stopped reading it`);
    });
  });

  it("with -f, an event that never ends: read up to 16 MiB, then one sentence, exit 1", async () => {
    await withPeer(endless(`data: ${"x".repeat(64 * 1024)}`), async (url) => {
      const result = await status(["--url", url, "-f"]);
      expect(result.exitCode).toBe(1);
      expect(result.stderr.trim()).toBe(`mallex at ${url} sent an event longer than 16 MiB, which no mallex sends: stopped reading it`);
    });
  });

  it("a snapshot that is not JSON: a sentence saying so, not a stack trace", async () => {
    await withPeer(
      async (res) => void res.end("<html>not mallex</html>"),
      async (url) => {
        const result = await status(["--url", url]);
        expect(result.exitCode).toBe(1);
        expect(result.stderr.trim()).toBe(`mallex at ${url} sent a snapshot that is not JSON (is another program listening there?): <html>not mallex</html>`);
      },
    );
  });
});
