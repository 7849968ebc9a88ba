// Two or more builds of mallex against each other and the reference proxy, for a change too small for
// the overhead bench's rounds (its runs of the same code differ by ±0.5 ms on a 2-vCPU VM): each build
// (a checkout with `npm run build` done, its own shipped config) runs `mallex proxy` on one fake
// mlx-lm.server, and Claude Code's captured request goes to each in turn, one request at a time, so
// the machine's noise falls on all alike. `--new` makes each request another project's (a new
// session's first request); without it every request repeats the same prefix.
//
//   node bench/side-by-side.js [--new] [--requests N] DIR [DIR ...]
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { findFreePort } from "#dist/supervisor/supervisor-deps.js";
import { readCapturedRequest } from "./captured-request.js";
import { createChildren } from "./peer-process.js";
import { createKeepAliveAgent, post } from "./http-post.js";
import { checkAnthropic, startWorker } from "./proxy.js";
import { percentile } from "./stats.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values, positionals } = parseArgs({ allowPositionals: true, options: { new: { type: "boolean" }, requests: { type: "string" } } });
if (positionals.length === 0) throw new Error("usage: node bench/side-by-side.js [--new] [--requests N] DIR [DIR ...] (each a built mallex checkout)");
const requests = Number(values.requests ?? 800);
const WARMUP = 100;

const { body, headers, path } = readCapturedRequest();
const text = body.toString("utf8");
let project = 0;
// Another project's request each time: its folder's name in the system prompt and the reminders.
const nextBody = () => (values.new ? Buffer.from(text.replaceAll("tiny-repo", `project-${project++}`)) : body);

const children = createChildren();
const backend = await startWorker({ role: "backend" });
const agent = createKeepAliveAgent({ maxSockets: 2 * (positionals.length + 1) });

async function start(label, args, cwd, env = {}) {
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  await children.start(label, process.execPath, [...args, "--port", String(port), "--backend-url", backend.url], {
    env: { ...process.env, ...env },
    cwd,
    readyUrl: `${url}/health`,
  });
  return { label, send: (requestBody) => post(agent, `${url}${path}`, requestBody, headers, "anthropic"), ttft: /** @type {number[]} */ ([]) };
}

try {
  const targets = [await start("reference proxy", [join(root, "bench", "reference-proxy.js")], root)];
  for (const dir of positionals.map((each) => resolve(each))) {
    const home = mkdtempSync(join(tmpdir(), "mallex-side-by-side-"));
    writeFileSync(join(home, "mallex.yaml"), `include: [${JSON.stringify(join(dir, "mallex.yaml"))}]\n`);
    execFileSync(process.execPath, [join(dir, "bin", "mallex.js"), "compile", "--config", join(home, "mallex.yaml")], { cwd: dir, stdio: "ignore" });
    const build = await start(dir, [join(dir, "bin", "mallex.js"), "proxy", "--config", join(home, "mallex.yaml")], dir, { MALLEX_HOME: join(home, "state") });
    checkAnthropic((await build.send(body)).body.toString("utf8"), "4", dir);
    targets.push(build);
  }
  for (let i = 0; i < WARMUP; i++) for (const target of targets) await target.send(nextBody());
  for (let i = 0; i < requests; i++) for (const target of targets) target.ttft.push((await target.send(nextBody())).ttft);
  const reference = percentile(targets[0].ttft, 50);
  console.log(`${requests} requests each, ${values.new ? "each a new session's first" : "the same prefix repeated"}, interleaved; first token at p50 (p25):`);
  for (const target of targets) {
    const p50 = percentile(target.ttft, 50);
    const over = target === targets[0] ? "" : `, +${(p50 - reference).toFixed(2)} ms over the reference`;
    console.log(`  ${target.label}: ${p50.toFixed(2)} ms (${percentile(target.ttft, 25).toFixed(2)})${over}`);
  }
} finally {
  await children.stopAll();
  await backend.close();
}
