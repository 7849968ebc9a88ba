// How long `mallex proxy` takes from its process start to accepting requests (the wait before Claude
// Code can talk to `mallex run`), against `node -e 0` as the floor and bench/reference-proxy.js (a
// bare node:http proxy) as what any Node proxy costs, run by run in turn.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findFreePort } from "#dist/supervisor/supervisor-deps.js";
import { ms, summarize } from "./stats.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "bin", "mallex.js");
const referenceProxy = join(root, "bench", "reference-proxy.js");
const START_TIMEOUT_MS = 20_000;

export async function benchProxyStart({ runs = 15 } = {}) {
  const home = mkdtempSync(join(tmpdir(), "mallex-bench-start-"));
  try {
    const proxy = [];
    const reference = [];
    const node = [];
    for (let i = 0; i < runs + 2; i++) {
      const started = performance.now();
      execFileSync(process.execPath, ["-e", "0"], { stdio: "ignore" });
      const nodeMs = performance.now() - started;
      const proxyMs = await timeStart([bin, "proxy"], "listening on http://127.0.0.1:", home);
      const referenceMs = await timeStart([referenceProxy], "reference proxy listening on http://127.0.0.1:", home);
      if (i >= 2) {
        node.push(nodeMs);
        proxy.push(proxyMs);
        reference.push(referenceMs);
      }
    }
    const p = summarize(proxy);
    const r = summarize(reference);
    const n = summarize(node);
    return [
      `| start-up, default config, generated/ current, ${p.n} runs | p50 | p99 | min | added to \`node -e 0\` (p50) |`,
      "|---|---|---|---|---|",
      row("`mallex proxy --backend-url …` until it listens", p, n),
      row("`node bench/reference-proxy.js` until it listens", r, n),
      row("`node -e 0` (floor)", n),
    ].join("\n");
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** Spawns `node ...args --port P --backend-url …` and resolves with the time until it prints `ready` + P. */
async function timeStart(args, ready, home) {
  const port = await findFreePort();
  const started = performance.now();
  const child = spawn(process.execPath, [...args, "--port", String(port), "--backend-url", "http://127.0.0.1:9/v1"], {
    cwd: root,
    env: { ...process.env, MALLEX_HOME: home },
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    return await new Promise((resolve, reject) => {
      let output = "";
      const timer = setTimeout(() => reject(new Error(`${args.join(" ")} did not listen within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
      const onData = (chunk) => {
        output += chunk;
        if (output.includes(`${ready}${port}`)) {
          clearTimeout(timer);
          resolve(performance.now() - started);
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`${args.join(" ")} exited with ${code} before listening:\n${output}`));
      });
    });
  } finally {
    child.removeAllListeners("exit");
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill();
    await exited;
  }
}

const row = (label, s, floor) => `| ${label} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.min)} | ${floor ? `+${ms(s.p50 - floor.p50)}` : "floor"} |`;
