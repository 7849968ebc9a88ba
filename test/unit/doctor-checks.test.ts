import { join } from "node:path";
import { singleConfig } from "../../src/config/config-layers.js";
import { afterEach, describe, expect, it } from "vitest";
import { testedClaudeCodeVersion } from "../../src/setup/claude-command.js";
import { runDoctor, formatCheck, type DoctorReport } from "../../src/doctor/run-doctor.js";
import { CHECKED_CLAUDE_CODE } from "../../src/trim/claude-code/claude-code-versions.js";
import type { DoctorDeps, DoctorOptions } from "../../src/doctor/types.js";
import type { Hardware } from "../../src/setup/detect-hardware.js";
import type { CommandResult } from "../../src/setup/run-command.js";
import type { PythonLookup } from "../../src/supervisor/bootstrap-venv.js";
import { createFakeMlxServer, type FakeMlxServer } from "../fakes/mlx-lm-server.js";
import { BASE, packageRoot, writeTree } from "../helpers/config-tree.js";

const CHECKED_RANGE = `${CHECKED_CLAUDE_CODE.oldest}–${CHECKED_CLAUDE_CODE.newest}`;

const mac: Hardware = { platform: "darwin", arch: "arm64", ramGb: 36, chip: "Apple M3 Pro", appleSilicon: true };
const linux: Hardware = { platform: "linux", arch: "x64", ramGb: 23.5, appleSilicon: false };
const intelMac: Hardware = { platform: "darwin", arch: "x64", ramGb: 16, chip: "Intel(R) Core(TM) i7-9750H", appleSilicon: false };
const HOME = "/home/u";
const MALLEX_HOME = "/home/u/.mallex";
const VENV_FILES = [`${MALLEX_HOME}/venv/bin/python`, `${MALLEX_HOME}/venv/bin/mlx_lm.server`];
const QWEN30 = `${HOME}/.cache/huggingface/hub/models--mlx-community--Qwen3-Coder-30B-A3B-Instruct-4bit`;

const CLAUDE = "/usr/local/bin/claude";
const found = (stdout: string): CommandResult => ({ ok: true, stdout, stderr: "", missing: false });
const notFound: CommandResult = { ok: false, stdout: "", stderr: "", missing: true };

interface Fake {
  hardware?: Hardware;
  env?: Record<string, string>;
  files?: string[];
  dirs?: Record<string, string[]>;
  /** File sizes in bytes (each such path also exists). */
  sizes?: Record<string, number>;
  commands?: Record<string, CommandResult>;
  port?: true | string;
  python?: PythonLookup;
  /** Claude Code's path; null: not found. */
  claude?: string | null;
  fetch?: typeof globalThis.fetch;
  /** The mallex running on MALLEX_HOME (their records). */
  proxies?: { url: string; pid: number }[];
}

function fakeDeps(fake: Fake = {}, cwd = writeTree({})): DoctorDeps {
  const files = new Set([...(fake.files ?? []), ...Object.keys(fake.sizes ?? {})]);
  return {
    cwd,
    env: fake.env ?? {},
    packageRoot,
    homedir: HOME,
    mallexHome: MALLEX_HOME,
    detectHardware: async () => fake.hardware ?? mac,
    run: async (file) => fake.commands?.[file] ?? (file === CLAUDE ? found("2.1.197 (Claude Code)") : notFound),
    findPython: async () => fake.python ?? { found: { command: "python3", version: "3.12.4" }, tooOld: [] },
    findClaude: () => (fake.claude === null ? undefined : (fake.claude ?? CLAUDE)),
    fetch: fake.fetch ?? (async () => Promise.reject(Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } }))),
    checkPort: async () => fake.port ?? true,
    exists: (path) => files.has(path) || fake.dirs?.[path] !== undefined,
    fileSize: (path) => fake.sizes?.[path],
    readText: () => undefined,
    readdir: (path) => fake.dirs?.[path] ?? [],
    now: () => 0,
    ...(fake.proxies ? { runningProxies: () => fake.proxies! } : {}),
  };
}

/** Runs doctor on the shipped default (or on `config` written to a temp folder). */
async function doctor(
  fake: Fake = {},
  config?: string,
  options: Partial<DoctorOptions> = {},
): Promise<DoctorReport & { lines: string[]; byName: Record<string, string> }> {
  const cwd = writeTree(config === undefined ? {} : { "mallex.yaml": config });
  const configLayers = config === undefined ? singleConfig(join(packageRoot, "mallex.yaml"), "shipped") : singleConfig(join(cwd, "mallex.yaml"));
  const report = await runDoctor({ config: configLayers, ...options }, fakeDeps(fake, cwd));
  const lines = report.checks.map(formatCheck);
  return { ...report, lines, byName: Object.fromEntries(report.checks.map((c, i) => [c.name, lines[i]!])) };
}

describe("mallex doctor on the shipped default", () => {
  it("an Apple machine with the venv and the model in place passes every check", async () => {
    const r = await doctor({ files: VENV_FILES, dirs: { [`${QWEN30}/snapshots`]: ["abc123"], [`${QWEN30}/blobs`]: ["f1"] } });
    expect(r.lines).toEqual([
      `! config — ${join(packageRoot, "mallex.yaml")} (mallex's default) compiles (0 errors, 0 warnings) (run \`mallex init\` to write this machine's settings (models, backends) into ${MALLEX_HOME}/mallex.yaml)`,
      "✓ memory — Apple M3 Pro, 36 GB unified memory; qwen3-coder-30b needs 32 GB",
      "! memory budget — budget 27 GB (75% of this machine's 36 GB, as memory.budget_gb is not set); low/medium 32 GB (min_ram_gb); low/medium may need more than the whole budget (min_ram_gb) and runs alone until measured (raise memory.budget_gb if this machine has the room, or use a smaller model)",
      "✓ python — python3 3.12.4 (for the venv of mlx)",
      `✓ mlx-lm — installed in ${MALLEX_HOME}/venv`,
      "✓ model qwen3-coder-30b — mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit is in the Hugging Face cache",
      "- hugging face — every model in use is here; nothing to download",
      "✓ port — 127.0.0.1:4141 is free",
      "- backend mlx — started by `mallex run` when needed; to probe a server you run, pass --backend-url",
      "✓ capacity mlx — 32 request(s) at once (default for mlx-lm), 128 may wait (4 × in flight, at least 16); what its server says is read when mallex starts it",
      `✓ claude code — 2.1.197 (Claude Code) at /usr/local/bin/claude, within the releases mallex's trimming was checked against (${CHECKED_RANGE})`,
      "! api key — ANTHROPIC_API_KEY is not set: high falls back to medium (qwen3-coder-30b) (export ANTHROPIC_API_KEY=sk-ant-… in your shell profile to use Claude)",
    ]);
    expect(r.ok).toBe(true);
    expect(r.checks.at(-1)!.warning).toBe(true);
  });

  it("a fresh Mac: no venv, no model — each ✗ says how to fix it", async () => {
    const r = await doctor();
    expect(r.ok).toBe(false);
    expect(r.byName["mlx-lm"]).toBe(
      `✗ mlx-lm — no venv at ${MALLEX_HOME}/venv yet (fix: \`mallex run\` creates it on first start; or now: python3 -m venv ${MALLEX_HOME}/venv && ${MALLEX_HOME}/venv/bin/pip install 'mlx-lm>=0.32')`,
    );
    // The default fetch refuses every connection: the Hub cannot be reached to download the model.
    expect(r.byName["model qwen3-coder-30b"]).toBe(
      "✗ model qwen3-coder-30b — mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit is not in the Hugging Face cache (/home/u/.cache/huggingface/hub), and Hugging Face is not reachable to download it (fix: fetch it now: hf download mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit)",
    );
    expect(r.byName["hugging face"]).toBe(
      "✗ hugging face — https://huggingface.co is not reachable (ECONNREFUSED) (fix: check this machine's network (HF_ENDPOINT points mallex at a mirror), or download the models elsewhere and give their paths)",
    );
  });

  it("a model not downloaded yet that the Hub has is no failure: the first start downloads it", async () => {
    const asked: string[] = [];
    // What GET /api/models/{repo_id} answers (huggingface_hub HfApi.model_info), trimmed to the fields read.
    const fetch = (async (url: string) => {
      asked.push(url);
      return new Response(
        JSON.stringify({
          id: "mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit",
          private: false,
          gated: false,
          siblings: [{ rfilename: "config.json" }, { rfilename: "model.safetensors" }],
        }),
        { headers: { "content-type": "application/json" } },
      );
    }) as typeof globalThis.fetch;
    const r = await doctor({ files: VENV_FILES, fetch, env: { HF_ENDPOINT: "http://hub.test/" } });
    expect(r.byName["model qwen3-coder-30b"]).toBe(
      "! model qwen3-coder-30b — mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit is not in the Hugging Face cache (/home/u/.cache/huggingface/hub): `mallex run` downloads it on first start, which takes a while (or fetch it now: hf download mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit)",
    );
    expect(r.byName["hugging face"]).toBe("✓ hugging face — http://hub.test is reachable");
    expect(asked).toEqual(["http://hub.test/api/models/mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit"]);
    expect(r.ok).toBe(true);
  });

  it("a venv without mlx-lm, a half-downloaded model, HF_HOME honoured", async () => {
    const cache = "/data/hf/hub/models--mlx-community--Qwen3-Coder-30B-A3B-Instruct-4bit";
    const r = await doctor({
      env: { HF_HOME: "/data/hf" },
      files: [VENV_FILES[0]!],
      dirs: { [`${cache}/snapshots`]: ["abc"], [`${cache}/blobs`]: ["x.incomplete"] },
    });
    expect(r.byName["mlx-lm"]).toMatch(/^✗ mlx-lm — .*venv lacks bin\/mlx_lm.server \('mlx-lm>=0.32' not installed\)/);
    expect(r.byName["model qwen3-coder-30b"]).toMatch(/is only partly downloaded \(\/data\/hf\/hub\/models--/);
  });

  it("Python too old, or missing", async () => {
    const old = await doctor({ python: { tooOld: [{ command: "python3", version: "3.9.6" }] } });
    expect(old.byName.python).toBe(
      "✗ python — python3 is 3.9.6; the venv of mlx needs 3.10 or newer (fix: install Python 3.10 or newer: `brew install python@3.12` on macOS, or from python.org)",
    );
    const none = await doctor({ python: { tooOld: [] } });
    expect(none.byName.python).toMatch(/^✗ python — no python3 on PATH; the venv of mlx needs 3.10 or newer/);
  });

  it("on an Intel Mac: mlx-lm cannot run, Python and model do not apply", async () => {
    const r = await doctor({ hardware: intelMac });
    expect(r.byName["mlx-lm"]).toMatch(
      /^✗ mlx-lm — mlx-lm needs macOS on Apple Silicon, or Linux; this machine is .*Intel.*\(fix: .*--backend-url http:\/\/127.0.0.1:8080\/v1\)$/,
    );
    expect(r.byName.python).toMatch(/^- python — only for mlx-lm's venv/);
    expect(r.byName["model qwen3-coder-30b"]).toBe("- model qwen3-coder-30b — mlx-lm cannot run on this machine (see mlx-lm)");
    expect(r.byName.openblas).toBeUndefined();
  });

  it("on Linux: too little memory for the default; mlx-lm runs on mlx's CPU backend, installed with its cpu extra, with the system OpenBLAS preloaded", async () => {
    const r = await doctor({ hardware: linux });
    expect(r.byName.memory).toBe(
      "✗ memory — Linux x64, 24 GB RAM, no GPU found; qwen3-coder-30b needs 32 GB (fix: run `mallex init` for a profile that fits, or set the tiers' profile to a smaller one)",
    );
    // Plain mlx-lm on Linux installs no mlx at all (its wheel needs mlx only on Darwin): the fix names the cpu extra.
    expect(r.byName["mlx-lm"]).toBe(
      "✗ mlx-lm — no venv at /home/u/.mallex/venv yet (fix: `mallex run` creates it on first start; or now: python3 -m venv /home/u/.mallex/venv && /home/u/.mallex/venv/bin/pip install 'mlx-lm[cpu]>=0.32')",
    );
    expect(r.byName.python).toMatch(/^✓ python — .* \(for the venv of mlx\)$/);
    expect(r.byName.openblas).toBe(
      "! openblas — no system OpenBLAS found, so mlx's CPU matrix products use the reference BLAS its wheel bundles (about 30 times slower; prompts about 8 times slower) (install OpenBLAS and mallex preloads it: Debian/Ubuntu: `sudo apt install libopenblas0-pthread`; Fedora: `sudo dnf install openblas-threads`; Arch: `sudo pacman -S openblas`)",
    );
    expect(r.checks.find((c) => c.name === "openblas")).toMatchObject({ ok: true, warning: true });
    const withBlas = await doctor({ hardware: linux, files: ["/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0", ...VENV_FILES] });
    expect(withBlas.byName.openblas).toBe("✓ openblas — mlx_lm.server starts with LD_PRELOAD=/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0");
    expect(withBlas.byName["mlx-lm"]).toBe("✓ mlx-lm — installed in /home/u/.mallex/venv (Linux: mlx's CPU backend, no GPU)");
  });

  it("a taken port is only a warning (`mallex run` picks a free one); Claude Code missing is a ✗", async () => {
    const r = await doctor({ port: "EADDRINUSE", claude: null });
    expect(r.byName.port).toBe(
      "! port — 127.0.0.1:4141 is in use; only `mallex proxy` serves there (`mallex run` picks a free port) (for `mallex proxy`: stop what listens there (a mallex already running? `lsof -i :4141`), or pass --port / set server.port)",
    );
    expect(r.checks.find((c) => c.name === "port")).toMatchObject({ ok: true, warning: true });
    // A mallex of this MALLEX_HOME listening there is named (several may run: the one on that port).
    const ours = await doctor({
      port: "EADDRINUSE",
      proxies: [
        { url: "http://127.0.0.1:50123", pid: 11 },
        { url: "http://127.0.0.1:4141", pid: 22 },
      ],
    });
    expect(ours.byName.port).toBe(
      "! port — 127.0.0.1:4141 is in use by mallex pid 22; only `mallex proxy` serves there (`mallex run` picks a free port) (for `mallex proxy`: stop mallex pid 22, which listens there (`mallex status --port 4141` shows it), or pass --port / set server.port)",
    );
    const busy = await doctor({ port: "EADDRINUSE", files: VENV_FILES, dirs: { [`${QWEN30}/snapshots`]: ["abc123"], [`${QWEN30}/blobs`]: ["f1"] } });
    expect(busy.ok).toBe(true);
    expect((await doctor({ port: "EADDRNOTAVAIL" })).byName.port).toBe(
      "✗ port — 127.0.0.1:4141 cannot be listened on (EADDRNOTAVAIL) (fix: check server.host and server.port in the config)",
    );
    const tested = testedClaudeCodeVersion(packageRoot);
    expect(r.byName["claude code"]).toBe(
      `✗ claude code — \`claude\` is not on PATH (\`mallex run\` would fetch Claude Code ${tested}, the release it is tested with, through npx every time) (fix: npm install -g @anthropic-ai/claude-code@${tested})`,
    );
    const broken = await doctor({ commands: { [CLAUDE]: { ok: false, stdout: "", stderr: "Segmentation fault\n", missing: false } } });
    expect(broken.byName["claude code"]).toBe(
      `✗ claude code — \`${CLAUDE} --version\` failed: Segmentation fault (fix: reinstall it: npm install -g @anthropic-ai/claude-code@${tested})`,
    );
  });

  it("with --backend-url: nothing supervised is checked, the URL is probed", async () => {
    const r = await doctor({ hardware: linux }, undefined, { backendUrl: "http://127.0.0.1:9/v1" });
    expect(r.byName.python).toBe("- python — --backend-url: mallex starts no model server");
    expect(r.byName["mlx-lm"]).toBe("- mlx-lm — --backend-url: mallex starts no model server");
    expect(r.byName.backend).toBe(
      "✗ backend — http://127.0.0.1:9/v1: nothing listens there (connection refused) (fix: start the model server, e.g. `llama-server -m <model>.gguf --jinja --port 8080`, or pass the URL it listens on with --backend-url)",
    );
  });

  it("the API key: set passes; with no local fallback a missing key fails", async () => {
    const set = await doctor({ env: { ANTHROPIC_API_KEY: "sk-ant-x" } });
    expect(set.byName["api key"]).toBe("✓ api key — ANTHROPIC_API_KEY is set for tier high (anthropic)");
    const config = `include: [mallex]\ntiers:\n  high: { profile: claude-sonnet, fallback: medium }\n  medium: { profile: claude-sonnet }\n  low: { profile: qwen2.5-coder-7b }\n`;
    const r = await doctor({}, config);
    expect(r.byName["api key"]).toBe(
      "✗ api key — ANTHROPIC_API_KEY is not set and tiers medium, high have no local fallback (fix: export ANTHROPIC_API_KEY=sk-ant-… in your shell profile)",
    );
  });
});

describe("mallex doctor on other configs", () => {
  it("a missing config: ✗ with `mallex init`; the checks that need it are skipped, Claude Code still checked", async () => {
    const cwd = writeTree({});
    const report = await runDoctor({ config: singleConfig(join(cwd, "nope.yaml")) }, fakeDeps({}, cwd));
    expect(report.checks.map(formatCheck)).toEqual([
      "✗ config — nope.yaml does not exist (fix: run `mallex init` to write one, or pass --config)",
      "- memory — the config does not compile",
      "- memory budget — the config does not compile",
      "- python — the config does not compile",
      "- mlx-lm — the config does not compile",
      "- model — the config does not compile",
      "- port — the config does not compile",
      "- backend — the config does not compile",
      `✓ claude code — 2.1.197 (Claude Code) at /usr/local/bin/claude, within the releases mallex's trimming was checked against (${CHECKED_RANGE})`,
      "- api key — the config does not compile",
    ]);
  });

  it("a broken config: ✗ with the error count and `mallex compile`", async () => {
    const r = await doctor({}, `${BASE}  high: { profile: nope }\n`);
    expect(r.byName.config).toMatch(/^✗ config — mallex.yaml does not compile \(\d+ errors?, \d+ warnings?\) \(fix: run `mallex compile --config mallex.yaml`/);
    expect(r.diagnostics.length).toBeGreaterThan(0);
  });

  it("a GGUF path for llama-server: the file must exist; port 0 is fine", async () => {
    const config = `server: { port: 0 }\nbackends:\n  llama:\n    kind: openai\n    flavor: llama-server\n    supervise: { command: "llama-server -m {model} --port {port}" }\nprofiles:\n  q: { backend: llama, model: /models/q.gguf, size: small }\ntiers:\n  medium: { profile: q }\n`;
    const missing = await doctor({}, config);
    expect(missing.byName["model q"]).toBe("✗ model q — /models/q.gguf does not exist (fix: download the model file, or set profiles.q.model to its path)");
    expect(missing.byName.python).toBe("- python — no backend in use runs from a Python venv");
    expect(missing.byName.port).toBe("✓ port — server.port is 0: a free port is picked at start");
    const present = await doctor({ files: ["/models/q.gguf"] }, config);
    expect(present.byName["model q"]).toBe("✓ model q — /models/q.gguf exists");
  });

  it("memory for any supervised server: min_ram_gb when declared, else the weights on disk plus the context", async () => {
    const GiB = 1024 ** 3;
    const config = `backends:\n  llama:\n    kind: openai\n    flavor: llama-server\n    supervise: { command: "llama-server -m {model} --port {port}" }\n  mlx:\n    kind: openai\n    flavor: mlx-lm\n    supervise: { command: "mlx_lm.server --model {model} --port {port}" }\nprofiles:\n  q: { backend: llama, model: /models/q.gguf, size: small }\n  m: { backend: mlx, model: org/m-4bit, size: medium }\ntiers:\n  low: { profile: q }\n  medium: { profile: m }\nrouting:\n  models:\n    - { match: "*haiku*", tier: low }\n`;
    // The Hugging Face cache's layout: the snapshot's files (links into blobs/) are what mlx-lm loads.
    const repo = `${HOME}/.cache/huggingface/hub/models--org--m-4bit`;
    const snapshot = `${repo}/snapshots/0123abc`;
    const files = {
      [`${snapshot}/model-00001-of-00002.safetensors`]: 8 * GiB,
      [`${snapshot}/model-00002-of-00002.safetensors`]: 2 * GiB,
      [`${snapshot}/config.json`]: 2_000,
    };
    const dirs = { [`${repo}/snapshots`]: ["0123abc"], [snapshot]: Object.keys(files).map((path) => path.slice(snapshot.length + 1)) };
    const fits = await doctor({ hardware: linux, sizes: { "/models/q.gguf": 4.5 * GiB, ...files }, dirs }, config);
    expect(fits.byName.memory).toBe(
      "✓ memory — Linux x64, 24 GB RAM, no GPU found; q needs ~5.4 GB (4.5 GB of weights, plus the context), m needs ~12.0 GB (10.0 GB of weights, plus the context)",
    );
    const tooBig = await doctor({ hardware: linux, sizes: { "/models/q.gguf": 30 * GiB } }, config);
    expect(tooBig.byName.memory).toBe(
      "✗ memory — Linux x64, 24 GB RAM, no GPU found; q needs ~36.0 GB (30.0 GB of weights, plus the context) (fix: run `mallex init` for a profile that fits, or set the tiers' profile to a smaller one)",
    );
    const unknown = await doctor({ hardware: linux }, config);
    expect(unknown.byName.memory).toBe(
      "- memory — Linux x64, 24 GB RAM, no GPU found; cannot tell what q, m need (no min_ram_gb, and the model is not on disk yet)",
    );
    const declared = await doctor({ hardware: linux }, config.replace("size: small }", "size: small, min_ram_gb: 8 }"));
    expect(declared.byName.memory).toBe(
      "✓ memory — Linux x64, 24 GB RAM, no GPU found; q needs 8 GB; cannot tell what m needs (no min_ram_gb, and the model is not on disk yet)",
    );
  });
});

describe("backend probe", () => {
  let server: FakeMlxServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("against mlx-lm.server: GET /v1/models, then a 1-token generation without a model field", async () => {
    server = await createFakeMlxServer();
    const r = await doctor({ fetch: globalThis.fetch }, undefined, { backendUrl: server.url });
    expect(r.byName.backend).toBe(`✓ backend — ${server.url} lists 1 model and generated a token in 0 ms`);
    const post = server.requests.find((req) => req.method === "POST")!;
    expect(server.requests.map((req) => `${req.method} ${req.path}`)).toEqual(["GET /v1/models", "POST /v1/chat/completions"]);
    expect(post.body).toEqual({ messages: [{ role: "user", content: "Say OK." }], max_tokens: 1, stream: false });
    expect(server.modelLoadAttempts).toEqual([]);
  });

  it("a server that never generates: ✗ after the timeout, saying it may still be loading", async () => {
    server = await createFakeMlxServer();
    server.wedge("generation");
    const r = await doctor({ fetch: globalThis.fetch }, undefined, { backendUrl: server.url, generateTimeoutMs: 200 });
    expect(r.byName.backend).toMatch(/^✗ backend — .* lists 1 model, but generated no token in 0.2 s \(fix: the server may still be loading the model/);
  });

  it("a generation error: ✗ with the status and body", async () => {
    server = await createFakeMlxServer({ script: [{ status: 404, errorBody: { error: "template failed" } }] });
    const r = await doctor({ fetch: globalThis.fetch }, undefined, { backendUrl: server.url });
    expect(r.byName.backend).toMatch(/^✗ backend — .*: POST \/chat\/completions answered 404: \{"error": ?"template failed"\}/);
  });

  it("a running Ollama-style backend is probed by name, with the profile's model; a missing model says ollama pull", async () => {
    const calls: Array<{ url: string; body?: unknown }> = [];
    const fetch = (async (url: string, init?: RequestInit) => {
      calls.push({ url, ...(init?.body ? { body: JSON.parse(String(init.body)) } : {}) });
      if (url.endsWith("/models")) return new Response(JSON.stringify({ data: [{ id: "other:7b" }] }));
      return new Response(JSON.stringify({ error: { message: "model 'qwen2.5-coder:14b' not found" } }), { status: 404 });
    }) as typeof globalThis.fetch;
    const config = `include: [mallex]\nprofiles:\n  local: { backend: ollama, model: "qwen2.5-coder:14b", size: small }\ntiers:\n  low: { profile: local }\n  medium: { profile: local }\n  high: { profile: local }\n`;
    const r = await doctor({ fetch }, config);
    expect(calls.map((c) => c.url)).toEqual(["http://127.0.0.1:11434/v1/models", "http://127.0.0.1:11434/v1/chat/completions"]);
    expect((calls[1]!.body as { model?: string }).model).toBe("qwen2.5-coder:14b");
    expect(r.byName["backend ollama"]).toMatch(
      /^✗ backend ollama — .*answered 404.*\(fix: the server does not have qwen2.5-coder:14b \(ollama pull qwen2.5-coder:14b\)/,
    );
    expect(r.byName.model).toBe("- model — mallex starts no model server for this config");
  });
});

describe("backend probe of a pool", () => {
  let servers: FakeMlxServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });
  /** Two fake mlx-lm.servers, the second stopped: its port refuses connections. */
  async function oneUpOneDown(): Promise<[string, string]> {
    servers = [await createFakeMlxServer(), await createFakeMlxServer()];
    await servers[1]!.close();
    return [servers[0]!.url, servers[1]!.url];
  }
  const down = (url: string) => `${url}: nothing listens there (connection refused) (fix: start the model server`;

  it("--backend-url given twice: each server on its own line, the one that is down named", async () => {
    const [up, gone] = await oneUpOneDown();
    const r = await doctor({ fetch: globalThis.fetch, hardware: linux }, undefined, { backendUrl: gone, backendUrls: [up, gone] });
    expect(r.byName["backend (server 1 of 2)"]).toBe(`✓ backend (server 1 of 2) — ${up} lists 1 model and generated a token in 0 ms`);
    expect(r.byName["backend (server 2 of 2)"]).toContain(`✗ backend (server 2 of 2) — ${down(gone)}`);
    expect(r.checks.filter((c) => c.name.startsWith("backend"))).toHaveLength(2);
    expect(r.ok).toBe(false);
  });

  it("every server of a backend's urls:", async () => {
    const [up, gone] = await oneUpOneDown();
    const config = `backends:\n  lan: { kind: openai, flavor: mlx-lm, urls: ["${up}", "${gone}"] }\nprofiles:\n  q: { backend: lan, model: m, size: small }\ntiers:\n  medium: { profile: q }\n`;
    const r = await doctor({ fetch: globalThis.fetch }, config);
    expect(r.byName["backend lan (server 1 of 2)"]).toBe(`✓ backend lan (server 1 of 2) — ${up} lists 1 model and generated a token in 0 ms`);
    expect(r.byName["backend lan (server 2 of 2)"]).toContain(`✗ backend lan (server 2 of 2) — ${down(gone)}`);
    expect(servers[0]!.requests.map((req) => `${req.method} ${req.path}`)).toEqual(["GET /v1/models", "POST /v1/chat/completions"]);
  });
});
