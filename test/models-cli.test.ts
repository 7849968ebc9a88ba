/**
 * `mallex models` on real files: the model kit's GGUFs where the embedded engine downloads them and
 * where a profile points, the kit's MLX folder in a Hugging Face cache layout, ../shared's tiny GGUFs,
 * a download cut short, a file that is no GGUF, and profiles whose models are not here. Each test has
 * its own MALLEX_HOME and cache; the facts asserted are what the files' headers say.
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  closeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ListedModel, ModelEntry } from "../src/models/model-entry.js";
import { evalVariant, learnSpeeds, saveRun, STARTED_BY_MALLEX } from "./helpers/measured-home.js";
import { describeWithModelKit, kit } from "./helpers/model-kit.js";
import { runCli } from "./helpers/run-cli.js";
import { describeWithShared, sharedPath } from "./helpers/shared-dir.js";

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const CODER_URI = "hf:bartowski/Qwen2.5-Coder-1.5B-Instruct-GGUF/Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf";
const MLX_REPO = "mlx-community/Qwen2.5-Coder-0.5B-Instruct";

/** Supervised backends of each kind, an Ollama one (its models are its own), and the tiers' routes. */
function config(profiles: string, tiers: string): string {
  return `backends:
  embedded: { kind: openai, flavor: embedded, supervise: { command: "{mallex} engine --model {model} --host {host} --port {port}" } }
  llama: { kind: openai, flavor: llama-server, supervise: { command: "llama-server -m {model} --port {port}" } }
  mlx: { kind: openai, flavor: mlx-lm, supervise: { command: "mlx_lm.server --model {model} --port {port}" } }
  ollama: { kind: openai, flavor: ollama, base_url: "http://127.0.0.1:11434/v1" }
profiles:
${profiles}
  served: { backend: ollama, model: "qwen2.5-coder:7b", size: small }
tiers:
${tiers}
routing:
  default_tier: medium
  models:
    - { match: "*haiku*", tier: low }
    - { match: "*opus*", tier: high }
`;
}

/** A fresh MALLEX_HOME (with this config as this machine's settings), Hugging Face cache and working folder. */
function machine(yaml: string): { home: string; hub: string; cwd: string; env: Record<string, string> } {
  const root = mkdtempSync(join(tmpdir(), "mallex-models-cli-"));
  made.push(root);
  const [home, hub, cwd] = ["home", "hub", "work"].map((name) => join(root, name)) as [string, string, string];
  for (const dir of [join(home, "models"), hub, cwd]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(home, "mallex.yaml"), yaml);
  return { home, hub, cwd, env: { MALLEX_HOME: home, HF_HUB_CACHE: hub, HF_HOME: join(root, "hf-home") } };
}

function link(target: string, path: string): string {
  mkdirSync(dirname(path), { recursive: true });
  symlinkSync(target, path);
  return path;
}

/** The first `bytes` of a file: a download that stopped there. */
function cut(source: string, path: string, bytes: number): void {
  const buffer = Buffer.alloc(bytes);
  const fd = openSync(source, "r");
  try {
    readSync(fd, buffer, 0, bytes, 0);
  } finally {
    closeSync(fd);
  }
  writeFileSync(path, buffer);
}

async function listJson(m: ReturnType<typeof machine>): Promise<ModelEntry[]> {
  const result = await runCli(["models", "--json"], { cwd: m.cwd, env: m.env });
  expect(result.stderr).toBe(`config: ${join(m.home, "mallex.yaml")} (this machine's settings)`);
  expect(result.exitCode).toBe(0);
  return JSON.parse(result.stdout) as ModelEntry[];
}

describeWithModelKit("mallex models on the model kit's real models", () => {
  it("reads each file's own facts: the engine's download of a profile's hf: URI, a profile's GGUF path, an MLX folder in the hub cache", async () => {
    const { coder_gguf, chat_gguf, mlx_model } = kit();
    const m = machine(
      config(
        `  coder: { backend: embedded, model: "${CODER_URI}", size: small }
  chat: { backend: llama, model: "${chat_gguf}", size: small }
  mlx-coder: { backend: mlx, model: ${MLX_REPO}, size: small }`,
        "  low: { profile: chat }\n  medium: { profile: coder }\n  high: { profile: mlx-coder }",
      ),
    );
    // Where the embedded engine puts the hf: URI's file (src/engine/resolve-model-source.ts).
    const coderPath = link(coder_gguf!, join(m.home, "models/hf/bartowski/Qwen2.5-Coder-1.5B-Instruct-GGUF/main/Qwen2.5-Coder-1.5B-Instruct-Q4_K_M.gguf"));
    // huggingface_hub's layout: refs/main names the snapshot, whose files link into blobs/ (here, the kit's files).
    const repo = join(m.hub, "models--mlx-community--Qwen2.5-Coder-0.5B-Instruct");
    const snapshot = join(repo, "snapshots", "0123abcd");
    for (const file of readdirSync(mlx_model)) link(join(mlx_model, file), join(snapshot, file));
    mkdirSync(join(repo, "refs"));
    writeFileSync(join(repo, "refs", "main"), "0123abcd\n");

    const models = await listJson(m);
    expect(models.map((model) => [model.name, model.tiers])).toEqual([
      ["SmolLM2-135M-Instruct.Q4_1", ["low"]],
      ["Qwen2.5-Coder-1.5B-Instruct-Q4_K_M", ["medium"]],
      ["Qwen2.5-Coder-0.5B-Instruct", ["high"]],
    ]);
    const [chat, coder, mlx] = models as [ModelEntry, ModelEntry, ModelEntry];
    // Found twice (in MALLEX_HOME/models, and as profile coder's model): one model.
    expect(coder).toEqual({
      name: "Qwen2.5-Coder-1.5B-Instruct-Q4_K_M",
      path: coderPath,
      format: "gguf",
      architecture: "qwen2",
      // Qwen2.5-Coder-1.5B: 1.54 B, and the GGUF keeps the output matrix apart from the embeddings (+0.23 B).
      params: 1_777_088_000,
      quantization: "Q4_K_M",
      sizeBytes: statSync(coder_gguf!).size,
      contextLength: 32768,
      profiles: ["coder"],
      tiers: ["medium"],
      fits: expect.any(Boolean),
      needsGb: 1.25,
      state: "on disk",
      problem: null,
      measured: [],
      evals: [],
    });
    expect(coder.fits).toBe(true); // 1.25 GB: any machine that runs these tests
    expect(chat).toMatchObject({
      path: chat_gguf,
      format: "gguf",
      architecture: "llama",
      params: 134_515_008,
      quantization: "Q4_1",
      sizeBytes: statSync(chat_gguf).size,
      contextLength: 8192,
      profiles: ["chat"],
      state: "on disk",
    });
    // A float32 folder converted from the 0.5B GGUF: its safetensors hold the same 630 M values.
    expect(mlx).toMatchObject({
      path: snapshot,
      format: "mlx",
      architecture: "qwen2",
      params: 630_167_424,
      quantization: "F32",
      contextLength: 32768,
      profiles: ["mlx-coder"],
      state: "on disk",
    });
    expect(mlx.sizeBytes).toBe(
      readdirSync(mlx_model)
        .filter((file) => file.endsWith(".safetensors"))
        .reduce((sum, file) => sum + statSync(join(mlx_model, file)).size, 0),
    );

    // The table: the config line every command prints, this machine, one row a model; no colours off a terminal.
    const table = await runCli(["models"], { cwd: m.cwd, env: m.env });
    expect(table.exitCode).toBe(0);
    expect(table.stderr).toBe("");
    const lines = table.stdout.split("\n");
    expect(lines[0]).toBe(`config: ${join(m.home, "mallex.yaml")} (this machine's settings)`);
    expect(lines[1]).toMatch(/^machine: .* RAM/);
    expect(lines[3]).toMatch(/^model +format +arch +params +quant +size +context +fits +used by +state +path$/);
    expect(lines[5]).toMatch(
      new RegExp(
        `^Qwen2\\.5-Coder-1\\.5B-Instruct-Q4_K_M +gguf +qwen2 +1\\.78B +Q4_K_M +1\\.0 GB +32,768 +yes \\(1\\.3 GB\\) +coder \\(medium\\) +on disk +${coderPath}$`,
      ),
    );
    expect(lines[6]).toMatch(/^Qwen2\.5-Coder-0\.5B-Instruct +mlx +qwen2 +630M +F32 +2\.3 GB +32,768 +yes \(2\.8 GB\) +mlx-coder \(high\) +on disk /);
    expect(table.stdout).not.toContain("\u001b");
  }, 60_000);

  it("a download cut short and a file that is no GGUF are listed with the reason; a profile's model not downloaded yet with where it will be", async () => {
    const { chat_gguf } = kit();
    const m = machine(
      config(
        `  later: { backend: embedded, model: "hf:org/Later-GGUF/later-Q4_K_M.gguf", size: small, min_ram_gb: 100000 }
  next: { backend: mlx, model: mlx-community/Not-Here-4bit, size: small }`,
        "  low: { profile: later }\n  medium: { profile: later }\n  high: { profile: next }",
      ),
    );
    cut(chat_gguf, join(m.home, "models", "cut-short.gguf"), 2_000_000);
    writeFileSync(join(m.home, "models", "error-page.gguf"), "<!DOCTYPE html><title>404</title>\n");
    // An engine download that stopped: only its .part is there (not a model; its profile says so).
    mkdirSync(join(m.home, "models/hf/org/Later-GGUF/main"), { recursive: true });
    writeFileSync(join(m.home, "models/hf/org/Later-GGUF/main/later-Q4_K_M.gguf.0123456789abcdef.part"), "GGUF");

    const models = await listJson(m);
    const byName = new Map(models.map((model) => [model.name, model]));
    expect(byName.get("later-Q4_K_M")).toEqual({
      name: "later-Q4_K_M",
      path: join(m.home, "models/hf/org/Later-GGUF/main/later-Q4_K_M.gguf"),
      format: "gguf",
      architecture: null,
      params: null,
      quantization: null,
      sizeBytes: null,
      contextLength: null,
      profiles: ["later"],
      tiers: ["low", "medium"],
      fits: false,
      needsGb: 100000,
      state: "partly downloaded",
      problem: `its download stopped at ${join(m.home, "models/hf/org/Later-GGUF/main/later-Q4_K_M.gguf.0123456789abcdef.part")}; the next start resumes it`,
      measured: [],
      evals: [],
    });
    expect(byName.get("Not-Here-4bit")).toMatchObject({ path: null, format: "mlx", tiers: ["high"], fits: null, state: "not downloaded" });
    // The header of the first 2 MB is whole; the tensors it lists run to the real file's last byte.
    expect(byName.get("cut-short")).toMatchObject({
      sizeBytes: 2_000_000,
      architecture: null,
      fits: null,
      state: "unreadable",
      problem: `truncated: its tensors run to byte ${statSync(chat_gguf).size.toLocaleString("en-US")}, the file has 2,000,000 (an interrupted download or copy?)`,
    });
    expect(byName.get("error-page")).toMatchObject({ state: "unreadable", problem: 'not a GGUF file (it starts with "<!DO", not "GGUF")' });
    expect(models).toHaveLength(4); // not the Ollama profile's model: that server lists its own

    const table = await runCli(["models"], { cwd: m.cwd, env: m.env });
    expect(table.stdout).toContain(`\ncut-short: unreadable: truncated: its tensors run to byte `);
    expect(table.stdout).toContain(`\nerror-page: unreadable: not a GGUF file (it starts with "<!DO", not "GGUF")`);
    expect(table.stdout).toMatch(/\nlater-Q4_K_M +gguf +- +- +- +- +- +no \(100000 GB\) +later \(low, medium\) +partly downloaded /);
  }, 60_000);
});

describeWithModelKit("mallex models with what this machine measured", () => {
  it("puts each model's speeds and eval history beside it, whatever name they were kept under, and lists one measured here that is not here", async () => {
    const { chat_gguf, mlx_model_gguf } = kit();
    const SMALL_URI = "hf:org/Small-GGUF/small-Q4_K_M.gguf";
    const m = machine(
      config(
        `  chat: { backend: llama, model: "SMOL_PATH", size: small }
  small: { backend: embedded, model: "${SMALL_URI}", size: small }`,
        "  low: { profile: chat }\n  medium: { profile: small }\n  high: { profile: small }",
      ),
    );
    // The profile names its GGUF in MALLEX_HOME/models (a link to the kit's file); the embedded engine's download of the hf: URI is the other.
    const smol = link(chat_gguf, join(m.home, "models", "smol.gguf"));
    writeFileSync(join(m.home, "mallex.yaml"), readFileSync(join(m.home, "mallex.yaml"), "utf8").replace("SMOL_PATH", smol));
    const small = link(mlx_model_gguf, join(m.home, "models/hf/org/Small-GGUF/main/small-Q4_K_M.gguf"));
    const ollama = { kind: "openai", flavor: "ollama", url: "http://127.0.0.1:11434/v1" } as const;
    const gone = join(m.cwd, "gone", "old-Q8_0.gguf");
    await learnSpeeds(m.home, [
      // Three requests each: a rate is the median of three at least.
      {
        profile: "chat",
        model: smol,
        server: STARTED_BY_MALLEX("llama-server"),
        at: "2025-06-02T08:30:00.000Z",
        samples: [1, 2, 3].map((i) => ({ prefill: 1_900 + i * 50, decode: 55 + i / 2, ttftMs: 400 + i * 5 })),
      },
      {
        profile: "served",
        model: "qwen2.5-coder:7b",
        server: ollama,
        at: "2025-06-01T10:00:00.000Z",
        samples: [1, 2, 3].map(() => ({ prefill: 300, decode: 12, ttftMs: 2_500 })),
      },
      {
        profile: "old",
        model: gone,
        server: STARTED_BY_MALLEX("llama-server"),
        at: "2025-05-01T10:00:00.000Z",
        samples: [1, 2, 3].map(() => ({ decode: 20, ttftMs: 900 })),
      },
    ]);
    // The hf: URI as its profile names it, and its file's path as `--embedded` names it: one model; the
    // kit's own path of the file MALLEX_HOME/models/smol.gguf links to: the chat model; Claude itself: no model here.
    saveRun(m.home, "2025-06-03T09:00:00.000Z", [
      evalVariant(SMALL_URI, 3, 4, { profile: "small", server: { kind: "openai", flavor: "embedded", url: "embedded" } }),
    ]);
    saveRun(m.home, "2025-06-04T09:00:00.000Z", [
      evalVariant(small, 2, 4, {
        variant: "trim on",
        trim: "on",
        profile: "embedded",
        pinned: true,
        server: { kind: "openai", flavor: "embedded", url: "embedded" },
      }),
      evalVariant(small, 1, 4, {
        variant: "trim off",
        trim: "off",
        profile: "embedded",
        pinned: true,
        server: { kind: "openai", flavor: "embedded", url: "embedded" },
      }),
    ]);
    saveRun(m.home, "2025-06-05T09:00:00.000Z", [evalVariant(chat_gguf, 1, 4, { profile: "chat" })]);
    saveRun(m.home, "2025-06-05T10:00:00.000Z", [
      evalVariant("claude-sonnet-4-6", 4, 4, { profile: "cloud", server: { kind: "anthropic", flavor: "anthropic", url: "https://api.anthropic.com" } }),
    ]);
    saveRun(m.home, "2025-04-01T10:00:00.000Z", [evalVariant("qwen2.5-coder:7b", 2, 4, { profile: "served", server: ollama })]);

    const models = (await listJson(m)) as ListedModel[];
    expect(models.map((model) => [model.name, model.state, model.tiers])).toEqual([
      ["smol", "on disk", ["low"]],
      ["small-Q4_K_M", "on disk", ["medium", "high"]],
      // Ollama's model: a profile names it, no tier uses it; then the file that is gone.
      ["qwen2.5-coder:7b", "not here", []],
      ["old-Q8_0", "not here", []],
    ]);
    const [chat, smallModel, served, old] = models as [ListedModel, ListedModel, ListedModel, ListedModel];
    expect(chat).toMatchObject({ path: smol, architecture: "llama", quantization: "Q4_1", contextLength: 8192, profiles: ["chat"] });
    expect(chat.measured).toEqual([
      {
        model: smol,
        profile: "chat",
        prefillTps: 2_000,
        decodeTps: 56,
        ttftMs: 410,
        samples: { prefill: 3, decode: 3, ttft: 3 },
        server: STARTED_BY_MALLEX("llama-server"),
        lastAt: "2025-06-02T08:30:00.000Z",
      },
    ]);
    expect(chat.evals.map((score) => [score.model, score.date, score.passRate, score.profile, score.suite.path])).toEqual([
      [chat_gguf, "2025-06-05T09:00:00.000Z", 0.25, "chat", "/pkg/eval/tasks"],
    ]);
    // Named three ways (its profile's hf: URI, --embedded's path twice, one run with two variants): one model, newest first.
    expect(smallModel).toMatchObject({ path: small, architecture: "qwen2", quantization: "Q4_K_M", profiles: ["small"], measured: [] });
    expect(smallModel.evals.map((score) => [score.model, score.date, score.variant, score.passed, score.server.url])).toEqual([
      [small, "2025-06-04T09:00:00.000Z", "trim on", 2, "embedded"],
      [small, "2025-06-04T09:00:00.000Z", "trim off", 1, "embedded"],
      [SMALL_URI, "2025-06-03T09:00:00.000Z", "routing", 3, "embedded"],
    ]);
    expect(served).toMatchObject({
      path: null,
      format: "gguf",
      architecture: null,
      sizeBytes: null,
      profiles: ["served"],
      fits: null,
      problem: "served by ollama at http://127.0.0.1:11434/v1, which keeps its files",
      measured: [{ model: "qwen2.5-coder:7b", profile: "served", prefillTps: 300, decodeTps: 12, ttftMs: 2_500, server: ollama }],
    });
    expect(served.evals.map((score) => score.passRate)).toEqual([0.5]);
    expect(old).toMatchObject({
      path: gone,
      profiles: [],
      problem: `nothing is at ${gone} now: it was measured or evaluated here before it was moved or removed`,
      measured: [{ profile: "old", decodeTps: 20, ttftMs: 900, samples: { prefill: 0, decode: 3, ttft: 3 } }],
      evals: [],
    });
    expect(old.measured[0]!.prefillTps).toBeUndefined();

    const table = await runCli(["models"], { cwd: m.cwd, env: m.env });
    expect(table.exitCode).toBe(0);
    expect(table.stderr).toBe("");
    const lines = table.stdout.split("\n");
    expect(lines).toContainEqual(expect.stringMatching(/^qwen2\.5-coder:7b +gguf +- +- +- +- +- +\? +served +not here +-$/));
    expect(lines).toContain(`qwen2.5-coder:7b: not here: served by ollama at http://127.0.0.1:11434/v1, which keeps its files`);
    const measured = lines.slice(lines.findIndex((line) => line.startsWith("measured here")));
    expect(measured[0]).toMatch(/^measured here +prefill +decode +ttft +served by +latest eval +evals$/);
    expect(measured.slice(1, 5)).toEqual([
      expect.stringMatching(/^smol +2,000 tok\/s +56 tok\/s +0\.41 s +chat: llama-server \(started by mallex\) +25% \(1 of 4\) on 2025-06-05 +1 run$/),
      expect.stringMatching(/^small-Q4_K_M +- +- +- +- +50% \(2 of 4\) on 2025-06-04, trim on +2 runs$/),
      expect.stringMatching(
        /^qwen2\.5-coder:7b +300 tok\/s +12 tok\/s +2\.50 s +served: ollama at http:\/\/127\.0\.0\.1:11434\/v1 +50% \(2 of 4\) on 2025-04-01 +1 run$/,
      ),
      expect.stringMatching(/^old-Q8_0 +- +20 tok\/s +0\.90 s +old: llama-server \(started by mallex\) +- +-$/),
    ]);
  }, 60_000);

  it("says so when nothing is measured yet, and names a measurements file it cannot read while listing the rest", async () => {
    const m = machine(
      config(
        `  chat: { backend: llama, model: "${kit().chat_gguf}", size: small }`,
        "  low: { profile: chat }\n  medium: { profile: chat }\n  high: { profile: chat }",
      ),
    );
    const quiet = await runCli(["models"], { cwd: m.cwd, env: m.env });
    expect(quiet.stdout).toContain(
      "\nNothing measured here yet: mallex learns each model's speed from the requests it serves, and `mallex eval` scores a model on real tasks.",
    );
    writeFileSync(join(m.home, "ttft-rates.json"), "{ not json");
    const result = await runCli(["models", "--json"], { cwd: m.cwd, env: m.env });
    expect(result.exitCode).toBe(0);
    expect(result.stderr.split("\n")[1]).toMatch(/^mallex: .*ttft-rates\.json.*no speeds shown/);
    expect((JSON.parse(result.stdout) as ListedModel[]).map((model) => model.name)).toEqual(["SmolLM2-135M-Instruct.Q4_1"]);
  });
});

describeWithShared("mallex models on ../shared's tiny GGUFs", () => {
  it("each one's architecture, parameters, type and context, with no profile using them", async () => {
    const m = machine(
      config(
        `  later: { backend: embedded, model: "hf:org/Later-GGUF/later-Q4_K_M.gguf", size: small }`,
        "  low: { profile: later }\n  medium: { profile: later }\n  high: { profile: later }",
      ),
    );
    for (const file of readdirSync(sharedPath("models")).filter((name) => name.endsWith(".gguf")))
      copyFileSync(sharedPath("models", file), join(m.home, "models", basename(file)));
    const models = await listJson(m);
    expect(
      models.map((model) => [model.name, model.architecture, model.params, model.quantization, model.contextLength, model.profiles.length, model.state]),
    ).toEqual([
      ["later-Q4_K_M", null, null, null, null, 1, "not downloaded"],
      ["llama-2-tiny-random", "llama", 513_048, "F16", 4096, 0, "on disk"],
      ["llama-2-tiny-random-chatml", "llama", 513_048, "F16", 4096, 0, "on disk"],
      ["stories260K", "llama", 292_800, "F32", 2048, 0, "on disk"],
      ["stories260K-chatml", "llama", 292_800, "F32", 2048, 0, "on disk"],
    ]);
  });
});

describe("mallex models' command line", () => {
  it("--help says what it lists and its options; an unknown option is refused as every command refuses one", async () => {
    const help = await runCli(["models", "--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain("USAGE mallex models [OPTIONS]");
    expect(help.stdout).toMatch(/--json +Print one JSON array/);
    expect(help.stdout).toMatch(/-c, --config=<file>/);
    const wrong = await runCli(["models", "--jsn"]);
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stdout).toBe("");
    expect(wrong.stderr).toBe("mallex: unknown option --jsn (did you mean --json?)");
  });

  it("a config with errors stops it with each error, and nothing is written beside the config", async () => {
    const m = machine("profiles: [\n");
    const result = await runCli(["models"], { cwd: m.cwd, env: m.env });
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`✗ config: ${join(m.home, "mallex.yaml")} (this machine's settings) has errors`);
    expect(readdirSync(m.home).sort()).toEqual(["mallex.yaml", "models"]);
  });
});
