// `npm run bench:peers-real` (by hand, not in CI; needs the model kit, `npm run models`): Claude
// Code's captured tool round trip through mallex and its peers to ONE real model, in one run.
// The model kit's mlx_lm.server serves its Qwen2.5-Coder-0.5B MLX folder; in front of it, each as a
// user starts it: `mallex proxy --backend-url`, LiteLLM's proxy (/v1/messages, an openai/ model on
// the server) and claude-code-router 3.1.1, each through its own port of a pass-through relay that
// reads what the server was sent and its usage (bench/peers-real-relay.js). vllm-mlx serves the same
// folder itself, with its own Anthropic endpoint. The floor is the OpenAI request mallex sent, straight
// to mlx_lm.server. mlx-omni-server is not among them: it does not start off Apple Silicon (docs/benchmarks.md).
// Per target and round: the cache emptied first (twelve small requests push the server's prompt-cache
// entries out; vllm-mlx is restarted), the first request, then its follow-up built around the target's
// own answer (bench/peers-real-conversation.js). Rounds go through the targets in a rotating order.
// Options: --rounds N (2), --max-tokens N (256, in place of Claude Code's 64,000), --only a,b
// (direct, mallex, litellm, ccr, vllm-mlx).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, homedir, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { findFreePort } from "#dist/supervisor/supervisor-deps.js";
import { planOpenBlasPreload } from "#dist/supervisor/preload-openblas.js";
import { createChildren } from "./peer-process.js";
import { buildFollowup, checkCalls, postStreamed, readAnthropicStream, readToolRoundTrip } from "./peers-real-conversation.js";
import { CCR, LITELLM, VLLM_MLX, installClaudeCodeRouter3, installPythonPeer } from "./peers-real-install.js";
import { startRelay } from "./peers-real-relay.js";
import { report } from "./peers-real-report.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const TARGETS = ["mallex", "direct", "litellm", "ccr", "vllm-mlx"];
const TIMEOUT_MS = 30 * 60_000;
const FLUSH_REQUESTS = 12;
const log = (line) => console.error(`[bench:peers-real ${new Date().toISOString().slice(11, 19)}] ${line}`);

const children = createChildren();
try {
  const settings = readSettings(process.argv.slice(2));
  console.log(await benchRealPeers(settings));
} catch (error) {
  console.error(`\nbench:peers-real failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
} finally {
  await children.stopAll();
}

async function benchRealPeers({ rounds, maxTokens, only }) {
  const kit = readKit();
  const roundTrip = readToolRoundTrip(maxTokens);
  const prefix = join(root, ".cache", "peers");
  mkdirSync(prefix, { recursive: true });
  const ccr = only.includes("ccr") ? await installClaudeCodeRouter3(prefix, log) : undefined;
  const litellmBin = only.includes("litellm") ? await installPythonPeer(prefix, LITELLM, log) : undefined;
  const vllmBin = only.includes("vllm-mlx") ? await installPythonPeer(prefix, VLLM_MLX, log) : undefined;

  const home = mkdtempSync(join(tmpdir(), "mallex-bench-peers-real-"));
  process.once("exit", () => rmSync(home, { recursive: true, force: true }));
  const blas = planOpenBlasPreload({ platform: process.platform, arch: process.arch, exists: existsSync, ldPreload: process.env.LD_PRELOAD });
  const modelEnv = { ...process.env, HF_HUB_OFFLINE: "1", PYTHONUNBUFFERED: "1", ...(blas?.kind === "preload" ? { LD_PRELOAD: blas.ldPreload } : {}) };
  const load = { start: loadavg()[0] };
  const started = Date.now();

  log("starting mlx_lm.server with the kit's model");
  const mlxPort = await findFreePort();
  const mlxOrigin = `http://127.0.0.1:${mlxPort}`;
  const mlx = await children.start(
    "mlx_lm.server",
    join(dirname(kit.python), "mlx_lm.server"),
    ["--model", kit.mlx_model, "--host", "127.0.0.1", "--port", String(mlxPort)],
    { env: modelEnv, readyUrl: `${mlxOrigin}/health`, startTimeoutMs: 300_000 },
  );
  await flushPromptCache(mlxOrigin, 1); // loads the model

  const targets = [];
  const relays = [];
  try {
    return await measure();
  } finally {
    // Open relays would keep the process alive after a failure.
    for (const relay of relays) await relay.close();
  }

  async function measure() {
    const viaRelay = async () => {
      const relay = await startRelay(mlxOrigin);
      relays.push(relay);
      return relay;
    };
    if (only.includes("mallex") || only.includes("direct"))
      targets.push({ id: "mallex", label: `mallex ${packageVersion(root)}`, ...(await startMallex(home, await viaRelay(), kit)) });
    if (only.includes("direct"))
      targets.push({
        id: "direct",
        label: "direct to mlx_lm.server (the floor: mallex's OpenAI request)",
        protocol: "openai",
        url: `${mlxOrigin}/v1/chat/completions`,
      });
    if (litellmBin) targets.push({ id: "litellm", label: `LiteLLM ${LITELLM.version} proxy`, ...(await startLiteLlm(home, litellmBin, await viaRelay())) });
    if (ccr) targets.push({ id: "ccr", label: `claude-code-router ${CCR.version}`, ...(await startClaudeCodeRouter3(home, ccr, await viaRelay(), roundTrip)) });
    // Not spread: restart() sets the url on this very object.
    if (vllmBin)
      targets.push(
        Object.assign(vllmMlx(vllmBin, kit, roundTrip, modelEnv), { id: "vllm-mlx", label: `vllm-mlx ${VLLM_MLX.version} (its own server and /v1/messages)` }),
      );
    for (const target of targets)
      if (target.protocol === "anthropic") target.headers = { ...roundTrip.headers, ...(target.apiKey ? { "x-api-key": target.apiKey } : {}) };
    const measured = targets.filter((target) => only.includes(target.id));

    for (const target of targets) if (target.protocol === "anthropic" && !target.restart) await warmUp(target, roundTrip);

    const conversations = measured.map(() => /** @type {Awaited<ReturnType<typeof converse>>[]} */ ([]));
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < measured.length; k++) {
        const i = (round + k) % measured.length;
        const target = measured[i];
        log(`round ${round + 1}/${rounds}: ${target.label}`);
        if (target.restart) await target.restart();
        else await flushPromptCache(mlxOrigin, FLUSH_REQUESTS);
        const result = await converse(target, roundTrip, targets);
        conversations[i].push(result);
        log(`${target.label}: ${summarize(result)}`);
      }
    }
    if (measured.some((target) => target.restart)) await measured.find((target) => target.restart).stop();
    const results = new Map(measured.map((target, i) => [target.id, conversations[i]]));
    load.end = loadavg()[0];
    await mlx.stop();
    return report({
      targets: measured,
      results,
      rounds,
      maxTokens,
      kit,
      load,
      minutes: (Date.now() - started) / 60_000,
      roundTrip,
      versions: versions(kit, vllmBin),
      blas,
    });
  }
}

/** One conversation: the first request, then Claude Code's next one built around the answer. */
async function converse(target, roundTrip, targets) {
  if (target.protocol === "openai") {
    // The floor replays the two requests mallex sent in its latest conversation.
    const mallex = targets.find((candidate) => candidate.id === "mallex");
    const [first, later] = mallex.lastSent ?? [];
    if (!first) throw new Error("the floor replays mallex's requests, and mallex has sent none yet");
    return { first: await send(target, first.body), later: later ? await send(target, later.body) : undefined };
  }
  const first = await send(target, roundTrip.first);
  const followup = buildFollowup(roundTrip, first.message ? { message: first.message, calls: first.calls } : undefined);
  const later = await send(target, followup.body);
  if (target.relay) target.lastSent = [first.sent, later.sent];
  return { first, later: { ...later, ownAnswer: followup.own } };
}

/** A request to a target, with what its relay saw (the requests the server got for it) and its answer read. */
/**
 * @returns {Promise<{
 *   status: number; ttft: number; total: number;
 *   upstream: import("./peers-real-relay.js").RelayedRequest[]; sent: import("./peers-real-relay.js").RelayedRequest | undefined;
 *   error?: string; openaiUsage?: ReturnType<typeof lastUsage>; message?: ReturnType<typeof readAnthropicStream>; calls?: ReturnType<typeof checkCalls>;
 * }>}
 */
async function send(target, body) {
  const seen = target.relay?.requests.length ?? 0;
  const answer = await postStreamed(
    target.url,
    body,
    target.protocol === "anthropic" ? target.headers : { "content-type": "application/json" },
    target.protocol,
    TIMEOUT_MS,
  );
  const upstream = target.relay?.requests.slice(seen) ?? [];
  // The generation itself: a proxy may also ask the server other things meanwhile (LiteLLM polls GET /v1/models).
  const sent = upstream.findLast((request) => request.method === "POST" && request.path.includes("/chat/completions"));
  const result = { status: answer.status, ttft: answer.ttft, total: answer.total, upstream, sent };
  if (answer.status !== 200) return { ...result, error: answer.text.slice(0, 400) };
  if (target.protocol === "openai") return { ...result, openaiUsage: lastUsage(answer.text) };
  const message = readAnthropicStream(answer.text);
  return { ...result, message, calls: checkCalls(message, body.tools ?? []) };
}

/** One conversation in a line, logged as it ends, so that a run cut short still says what it measured. */
function summarize({ first, later }) {
  const one = (request) =>
    request
      ? `HTTP ${request.status}, first token ${(request.ttft / 1000).toFixed(1)} s, usage ${JSON.stringify(request.sent?.usage ?? request.openaiUsage ?? request.message?.usage)}, calls ${JSON.stringify(request.calls?.map((call) => [call.name, call.valid, call.expected]) ?? [])}`
      : "none";
  return `first: ${one(first)}; later: ${one(later)}`;
}

/** The usage of an OpenAI stream (its final usage chunk), for the floor. */
function lastUsage(text) {
  const chunk = text
    .split("\n\n")
    .filter((event) => event.startsWith("data: {"))
    .map((event) => JSON.parse(event.slice(6)))
    .findLast((value) => value.usage);
  return chunk
    ? {
        promptTokens: chunk.usage.prompt_tokens,
        cachedTokens: chunk.usage.prompt_tokens_details?.cached_tokens,
        completionTokens: chunk.usage.completion_tokens,
      }
    : undefined;
}

/** Pushes every earlier entry out of mlx_lm.server's prompt cache (10 entries by default): `n` distinct one-token requests. */
async function flushPromptCache(origin, n) {
  const nonce = `${Date.now()}-${Math.random()}`;
  for (let i = 0; i < n; i++) {
    const answer = await postStreamed(
      `${origin}/v1/chat/completions`,
      { messages: [{ role: "user", content: `${i} ${nonce}: say OK.` }], max_tokens: 1, stream: true },
      { "content-type": "application/json" },
      "openai",
      300_000,
    );
    if (answer.status !== 200) throw new Error(`mlx_lm.server refused a cache-flushing request: HTTP ${answer.status} ${answer.text.slice(0, 300)}`);
  }
}

/** A short request through a proxy once before measuring, so that its own first-request start-up is not counted. */
async function warmUp(target, roundTrip) {
  const answer = await postStreamed(
    target.url,
    { model: roundTrip.first.model, max_tokens: 4, stream: true, messages: [{ role: "user", content: "Say OK." }] },
    target.headers,
    "anthropic",
    300_000,
  );
  const paths = target.relay
    ? ` (what it asked the server: ${target.relay.requests.map((request) => `${request.method} ${request.path} → ${request.status}`).join(", ") || "nothing"})`
    : "";
  if (answer.status !== 200) throw new Error(`${target.label} refused a warm-up request: HTTP ${answer.status} ${answer.text.slice(0, 400)}${paths}`);
}

/** `mallex proxy --backend-url` (the built CLI) with the shipped config and a small-tier profile for the kit's model on every tier. */
async function startMallex(home, relay, kit) {
  const port = await findFreePort();
  const config = join(home, "mallex.yaml");
  writeFileSync(
    config,
    `include: [${JSON.stringify(join(root, "mallex.yaml"))}]
profiles:
  kit-qwen2.5-coder-0.5b:
    description: the model kit's Qwen2.5-Coder-0.5B-Instruct MLX folder, as gguf-qwen2.5-coder-1.5b but on mlx-lm
    backend: mlx
    model: ${JSON.stringify(kit.mlx_model)}
    params_b: 0.5
    size: small
    min_ram_gb: 4
    context_window: 32768
    input_budget: 8000
    max_output_tokens: 4096
    tools: { mode: native }
    sampling: { temperature: 0 }
tiers:
  low: { profile: kit-qwen2.5-coder-0.5b }
  medium: { profile: kit-qwen2.5-coder-0.5b }
  high: { profile: kit-qwen2.5-coder-0.5b }
`,
  );
  const env = { ...process.env, MALLEX_HOME: join(home, "mallex") };
  execFileSync(process.execPath, [join(root, "bin", "mallex.js"), "compile", "--config", config], { cwd: root, env, stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  const child = await children.start(
    "mallex proxy",
    process.execPath,
    [join(root, "bin", "mallex.js"), "proxy", "--config", config, "--port", String(port), "--backend-url", `${relay.url}/v1`],
    { env, cwd: root, readyUrl: url },
  );
  return { protocol: "anthropic", url: `${url}/v1/messages?beta=true`, relay, child, command: `mallex proxy --config mallex.yaml --backend-url URL` };
}

/**
 * LiteLLM's proxy: every model name to `hosted_vllm/default_model` on the server (mlx_lm.server's name
 * for the model it serves). Not `openai/`: for that provider LiteLLM 1.106.2 sends /v1/messages on to
 * the server's /v1/responses, which mlx_lm.server does not have (404). It refuses to start without a
 * master key, which Claude Code then sends as its API key.
 */
async function startLiteLlm(home, bin, relay) {
  const port = await findFreePort();
  const config = join(home, "litellm.yaml");
  const apiKey = `sk-${randomBytes(32).toString("hex")}`;
  writeFileSync(
    config,
    `model_list:\n  - model_name: "*"\n    litellm_params:\n      model: hosted_vllm/default_model\n      api_base: ${relay.url}/v1\n      api_key: local\nlitellm_settings:\n  request_timeout: 1800\ngeneral_settings:\n  master_key: ${apiKey}\n`,
  );
  const env = { ...process.env, LITELLM_LOCAL_MODEL_COST_MAP: "True", HOME: join(home, "litellm-home") };
  mkdirSync(env.HOME, { recursive: true });
  const url = `http://127.0.0.1:${port}`;
  const child = await children.start("LiteLLM proxy", join(bin, "litellm"), ["--config", config, "--host", "127.0.0.1", "--port", String(port)], {
    env,
    cwd: home,
    readyUrl: `${url}/health/liveliness`,
    startTimeoutMs: 300_000,
  });
  return { protocol: "anthropic", url: `${url}/v1/messages?beta=true`, relay, child, apiKey, command: "litellm --config litellm.yaml" };
}

/**
 * claude-code-router 3.1.1 as `ccr serve` (the foreground service; its gateway is a child process)
 * with HOME in a temp dir holding a config.json in its 2.x format, which 3.x imports into its SQLite
 * store on first start: the server as an OpenAI-compatible provider, a model-prefix rule sending every
 * `claude-` model to it, and Claude Code's captured x-api-key as the gateway's client key.
 */
async function startClaudeCodeRouter3(home, { node, cli }, relay, roundTrip) {
  const [gatewayPort, uiPort] = [await findFreePort(), await findFreePort()];
  const ccrHome = join(home, "ccr");
  mkdirSync(join(ccrHome, ".claude-code-router"), { recursive: true });
  const apiKey = roundTrip.headers["x-api-key"];
  const config = {
    PORT: gatewayPort,
    APIKEY: apiKey,
    API_TIMEOUT_MS: 1_800_000,
    Providers: [{ name: "mlx", api_base_url: `${relay.url}/v1/chat/completions`, api_key: "local", models: ["default_model"] }],
    Router: { rules: [{ type: "model-prefix", pattern: "claude-", target: "mlx,default_model" }] },
  };
  writeFileSync(join(ccrHome, ".claude-code-router", "config.json"), JSON.stringify(config, null, 2));
  const env = { ...process.env, HOME: ccrHome, USERPROFILE: ccrHome };
  const url = `http://127.0.0.1:${gatewayPort}`;
  const child = await children.start(`claude-code-router (ccr serve, HOME=${ccrHome})`, node, [cli, "serve", "--no-open", "--port", String(uiPort)], {
    env,
    cwd: ccrHome,
    readyUrl: `${url}/health`,
    startTimeoutMs: 120_000,
  });
  return { protocol: "anthropic", url: `${url}/v1/messages?beta=true`, relay, child, command: "ccr serve (config.json: provider, model-prefix rule, APIKEY)" };
}

/** vllm-mlx serving the kit's folder under Claude Code's model name, with Qwen's tool-call parser; restarted before each conversation. */
function vllmMlx(bin, kit, roundTrip, env) {
  const target = {
    protocol: "anthropic",
    relay: undefined,
    command: "vllm-mlx serve MODEL --served-model-name MODEL_NAME --enable-auto-tool-choice --tool-call-parser qwen --timeout 1800",
  };
  let child;
  target.stop = async () => child?.stop();
  target.restart = async () => {
    await target.stop();
    const port = await findFreePort();
    const args = [
      "serve",
      kit.mlx_model,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--served-model-name",
      roundTrip.first.model,
      "--enable-auto-tool-choice",
      "--tool-call-parser",
      "qwen",
      "--timeout",
      "1800",
    ];
    child = await children.start("vllm-mlx", join(bin, "vllm-mlx"), args, { env, readyUrl: `http://127.0.0.1:${port}/health`, startTimeoutMs: 300_000 });
    target.url = `http://127.0.0.1:${port}/v1/messages?beta=true`;
    target.child = child;
  };
  return target;
}

function readKit() {
  const dir = process.env.MALLEX_MODEL_KIT
    ? resolve(process.env.MALLEX_MODEL_KIT)
    : join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "mallex-model-kit");
  const file = join(dir, "kit.json");
  if (!existsSync(file)) throw new Error(`needs the model kit (npm run models; no ${file})`);
  const kit = JSON.parse(readFileSync(file, "utf8"));
  const model = Object.values(kit.models ?? {}).find((entry) => entry.title === "Qwen2.5-Coder-0.5B-Instruct") ?? kit.models?.coder_small;
  return { ...kit, model };
}

function versions(kit, vllmBin) {
  const python = (bin, code) => execFileSync(bin, ["-c", code], { encoding: "utf8" }).trim();
  return {
    mlx: python(kit.python, "import mlx_lm, mlx.core as mx; print(f'mlx-lm {mlx_lm.__version__}, mlx {mx.__version__} ({mx.default_device()})')"),
    vllmMlx: vllmBin
      ? python(join(vllmBin, "python"), "import mlx_lm, mlx.core as mx; print(f'mlx-lm {mlx_lm.__version__}, mlx {mx.__version__}')")
      : undefined,
    machine: `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  };
}

function readSettings(args) {
  const { values } = parseArgs({ args, options: { rounds: { type: "string" }, "max-tokens": { type: "string" }, only: { type: "string" } } });
  const whole = (flag, fallback) => {
    if (values[flag] === undefined) return fallback;
    const n = Number(values[flag]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} takes a whole number of at least 1, not ${JSON.stringify(values[flag])}`);
    return n;
  };
  const only = values.only === undefined ? TARGETS : values.only.split(",").map((name) => name.trim());
  const unknown = only.filter((name) => !TARGETS.includes(name));
  if (unknown.length > 0) throw new Error(`--only takes ${TARGETS.join(", ")}; not ${unknown.join(", ")}`);
  if (only.includes("direct") && !only.includes("mallex")) throw new Error("--only direct needs mallex too: the floor replays mallex's requests");
  return { rounds: whole("rounds", 2), maxTokens: whole("max-tokens", 256), only };
}

function packageVersion(dir) {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version;
}
