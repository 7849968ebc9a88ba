import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { RoutingTable } from "../../src/compile/routing-table.js";
import type { ConfigRole } from "../../src/config/config-layers.js";
import { applyTierChange } from "../../src/models/actions/apply-tier-change.js";
import { checkDownload } from "../../src/models/actions/download-model.js";
import { newProfileFor } from "../../src/models/actions/new-profile.js";
import { planTierChange, type TierChangeDeps, type TierPlan } from "../../src/models/actions/plan-tier-change.js";
import { removeModel } from "../../src/models/actions/remove-model.js";
import { hashText, type UserConfig } from "../../src/models/actions/user-config.js";
import { judgeFit } from "../../src/models/judge-fit.js";
import type { ModelEntry } from "../../src/models/model-entry.js";
import { adoptConfigChange } from "../../src/server/adopt-config-change.js";
import { compileIn, packageRoot, validator } from "../helpers/config-tree.js";

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "mallex-actions-"));
  made.push(dir);
  return dir;
}

/** A user's file as people write it: comments, aligned tiers, a profile too big for any machine. */
const USER_FILE = `# My settings (kept by every change)
backends:
  local: { kind: openai, base_url: "http://127.0.0.1:1/v1" }
  engine:
    kind: openai
    flavor: embedded
    supervise: { command: "{mallex} engine --model {model} --host {host} --port {port}" }

profiles:
  coder: { backend: local, model: test-model, size: small }   # the one I use
  huge: { backend: engine, model: /nowhere/huge.gguf, size: large, min_ram_gb: 4096 }

# --- tiers
tiers:
  low:    { profile: coder }   # small things
  medium: { profile: coder }   # the default

routing:
  default_tier: medium
  models: [{ match: "*haiku*", tier: low }]
`;

function model(path: string, overrides: Partial<ModelEntry> = {}): ModelEntry {
  return {
    name: "Tiny-Coder-1.5B-Q4_K_M",
    path,
    format: "gguf",
    architecture: "qwen2",
    params: 1_540_000_000,
    quantization: "Q4_K_M",
    sizeBytes: 1_000_000_000,
    contextLength: 32768,
    profiles: [],
    tiers: [],
    fits: true,
    needsGb: 1.2,
    state: "on disk",
    problem: null,
    ...overrides,
  };
}

/** A config folder with the user's file, and the deps a plan takes; `models`: what listModels gives besides the profiles'. */
function setUp(options: { text?: string; role?: ConfigRole; models?: (home: string) => ModelEntry[] } = {}) {
  const dir = tempDir();
  const file = join(dir, "mallex.yaml");
  writeFileSync(file, options.text ?? USER_FILE, { mode: 0o640 });
  const home = join(dir, "home");
  mkdirSync(join(home, "models"), { recursive: true });
  writeFileSync(join(home, "models", "tiny.gguf"), "GGUF");
  const config: UserConfig = { file, role: options.role ?? "machine", under: [], cwd: dir, env: {}, packageRoot, validator };
  const deps: TierChangeDeps = {
    config,
    ramGb: 16,
    env: {},
    homedir: home,
    cwd: dir,
    mallexHome: home,
    listModels: async ({ ramGb }) => [
      ...(options.models?.(home) ?? [model(join(home, "models", "tiny.gguf"))]),
      model("/nowhere/huge.gguf", {
        name: "huge",
        profiles: ["huge"],
        ...judgeFit({ sizeBytes: null, minRamGb: [4096] }, ramGb),
        state: "missing",
        problem: "nothing is at /nowhere/huge.gguf",
      }),
    ],
  };
  return { dir, file, home, config, deps };
}

async function planned(body: unknown, deps: TierChangeDeps): Promise<TierPlan> {
  const plan = await planTierChange(body, deps);
  if (!plan.ok) throw new Error(plan.message);
  return plan.value;
}

describe("planTierChange", () => {
  it("puts a model no profile names on a tier: a profile from its facts, the tier set, comments kept, compiled as mallex compile will", async () => {
    const { file, home, deps } = setUp();
    const path = join(home, "models", "tiny.gguf");
    const plan = await planned({ tier: "medium", model: path }, deps);
    expect(plan).toMatchObject({ file, hash: hashText(USER_FILE), tier: "medium", from: "coder", profile: "tiny-coder-1.5b-q4_k_m" });
    expect(plan.added).toEqual({
      name: "tiny-coder-1.5b-q4_k_m",
      fields: {
        description: "Tiny-Coder-1.5B-Q4_K_M, Q4_K_M: added on the dashboard's Models page",
        backend: "engine",
        model: path,
        params_b: 1.54,
        size: "small",
        context_window: 32768,
      },
    });
    // Everything the user wrote is still there, byte for byte, around the two changes.
    expect(plan.newText).toBe(
      USER_FILE.replace(
        "min_ram_gb: 4096 }\n",
        `min_ram_gb: 4096 }\n  tiny-coder-1.5b-q4_k_m:\n    description: "Tiny-Coder-1.5B-Q4_K_M, Q4_K_M: added on the dashboard's Models page"\n    backend: engine\n    model: ${path}\n    params_b: 1.54\n    size: small\n    context_window: 32768\n`,
      ).replace("medium: { profile: coder }", "medium: { profile: tiny-coder-1.5b-q4_k_m }"),
    );
    expect(plan.diff.split("\n").filter((line) => /^[-+][^-+]/.test(line))).toEqual([
      "+  tiny-coder-1.5b-q4_k_m:",
      '+    description: "Tiny-Coder-1.5B-Q4_K_M, Q4_K_M: added on the dashboard\'s Models page"',
      "+    backend: engine",
      `+    model: ${path}`,
      "+    params_b: 1.54",
      "+    size: small",
      "+    context_window: 32768",
      "-  medium: { profile: coder }   # the default",
      "+  medium: { profile: tiny-coder-1.5b-q4_k_m }   # the default",
    ]);
    // Nothing written by a plan.
    expect(readFileSync(file, "utf8")).toBe(USER_FILE);
    // mallex compile agrees once it is written.
    writeFileSync(file, plan.newText);
    const compiled = compileIn(plan.file.replace(/\/mallex\.yaml$/, ""));
    expect(compiled.lines).toEqual([]);
    expect(compiled.table!.tiers.medium.profile).toBe("tiny-coder-1.5b-q4_k_m");
  });

  it("puts a profile on a tier, and a model a profile names through that profile", async () => {
    const { deps } = setUp();
    expect((await planned({ tier: "low", profile: "huge" }, { ...deps, ramGb: 8192 })).diff).toContain("+  low:    { profile: huge }   # small things");
    const named = setUp({
      text: USER_FILE.replace("low:    { profile: coder }", "low:    { profile: huge }"),
      models: (home) => [model(join(home, "models", "tiny.gguf"), { profiles: ["coder"] })],
    });
    const plan = await planned({ tier: "low", model: join(named.home, "models", "tiny.gguf") }, { ...named.deps, ramGb: 8192 });
    expect(plan).toMatchObject({ profile: "coder", from: "huge", added: null });
    expect(plan.newText).toBe(USER_FILE);
  });

  it("refuses, writing nothing: a model too big for this machine, one mallex does not know, a path elsewhere, a change to nothing, a bad request", async () => {
    const { file, home, deps } = setUp();
    const refusal = async (body: unknown, extra: Partial<TierChangeDeps> = {}) => {
      const plan = await planTierChange(body, { ...deps, ...extra });
      if (plan.ok) throw new Error(`planned ${JSON.stringify(body)}`);
      return [plan.status, plan.message];
    };
    expect(await refusal({ tier: "medium", profile: "huge" })).toEqual([
      422,
      "huge needs about 4096 GB of memory and this machine has 16 GB: it does not fit, so mallex does not put it on a tier (a smaller quantization or model does)",
    ]);
    for (const path of ["/etc/passwd", "models/tiny.gguf", join(home, "models", "..", "models", "other.gguf")])
      expect((await refusal({ tier: "medium", model: path }))[0], path).toBe(404);
    expect((await refusal({ tier: "medium", model: "/etc/passwd" }))[1]).toMatch(
      /^mallex found no model at \/etc\/passwd: a model on a tier is one `mallex models` lists/,
    );
    expect(await refusal({ tier: "medium", profile: "coder" })).toEqual([409, "tier medium runs profile coder already: there is nothing to change"]);
    expect(await refusal({ tier: "medium", profile: "nope" })).toEqual([404, 'the config has no profile "nope" (it has coder, huge)']);
    expect(await refusal({ tier: "top", profile: "coder" })).toEqual([400, 'there is no tier "top": the tiers are low, medium, high']);
    expect((await refusal({ tier: "low" }))[0]).toBe(400);
    expect((await refusal({ tier: "low", profile: "coder", model: "/x" }))[0]).toBe(400);
    expect(await refusal({ tier: "low", profile: "coder", file: "/etc/passwd" })).toEqual([
      400,
      'the request has "file", which this action does not take (it takes tier, model, profile)',
    ]);
    expect((await refusal(["low"]))[0]).toBe(400);
    expect(readFileSync(file, "utf8")).toBe(USER_FILE);
  });

  it("refuses mallex's shipped default (run mallex init), a config with errors already, and a change that would not compile, with file:line:col", async () => {
    const shipped = setUp({ role: "shipped" });
    const plan = await planTierChange({ tier: "low", profile: "huge" }, shipped.deps);
    expect(plan).toMatchObject({ ok: false, status: 409 });
    expect(!plan.ok && plan.message).toMatch(/^this mallex runs mallex's own default config \(.*\), which is not yours to change: run `mallex init`/);

    const broken = setUp({ text: USER_FILE.replace("size: small", "size: tiny") });
    const already = await planTierChange({ tier: "low", profile: "huge" }, broken.deps);
    expect(already).toMatchObject({ ok: false, status: 409 });
    expect(!already.ok && already.message.split("\n")[1]).toMatch(/^mallex\.yaml:10:\d+: error \[schema-enum\]/);

    // A model whose file name YAML reads as a variable: the profile written would not compile.
    const odd = setUp({ models: (home) => [model(join(home, "models", "x${HOME}.gguf"), { name: "x" })] });
    const invalid = await planTierChange({ tier: "low", model: join(odd.home, "models", "x${HOME}.gguf") }, odd.deps);
    expect(invalid).toMatchObject({ ok: false, status: 422 });
    expect(!invalid.ok && invalid.message.split("\n")).toEqual([
      expect.stringMatching(/^putting x on tier low would leave .*mallex\.yaml invalid, so it is not written:$/),
      expect.stringMatching(/^mallex\.yaml:\d+:\d+: error \[env-/),
    ]);
    expect(readFileSync(odd.file, "utf8")).toBe(USER_FILE);
  });
});

describe("applyTierChange", () => {
  it("writes the planned text over the file it was planned on, keeps the old one as .bak with its mode", async () => {
    const { file, config, deps } = setUp();
    const plan = await planned({ tier: "low", profile: "huge" }, { ...deps, ramGb: 8192 });
    const written = applyTierChange({ hash: plan.hash, newText: plan.newText }, config);
    expect(written).toEqual({ ok: true, value: { file: plan.file, backup: `${plan.file}.bak` } });
    expect(readFileSync(file, "utf8")).toBe(plan.newText);
    expect(readFileSync(`${file}.bak`, "utf8")).toBe(USER_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });

  it("refuses a file edited since the plan, and a text that would not compile: nothing written", async () => {
    const { dir, file, config, deps } = setUp();
    const plan = await planned({ tier: "low", profile: "huge" }, { ...deps, ramGb: 8192 });
    writeFileSync(file, `${USER_FILE}# an edit made meanwhile\n`);
    expect(applyTierChange({ hash: plan.hash, newText: plan.newText }, config)).toEqual({
      ok: false,
      status: 409,
      message: `${file} was edited meanwhile (it is no longer the text this change was planned on): nothing was written; plan the change again`,
    });
    expect(readFileSync(file, "utf8")).toBe(`${USER_FILE}# an edit made meanwhile\n`);
    const now = hashText(readFileSync(file, "utf8"));
    const invalid = applyTierChange({ hash: now, newText: "tiers: { low: { profile: nobody } }\n" }, config);
    expect(invalid).toMatchObject({ ok: false, status: 422 });
    expect(existsSync(`${file}.bak`)).toBe(false);
    expect(applyTierChange({ hash: now }, config)).toMatchObject({ ok: false, status: 400 });
    expect(dir).toBeTruthy();
  });

  it("writes through a link to the file it names, which stays a link", async () => {
    const { dir, config, deps } = setUp();
    const link = join(dir, "linked.yaml");
    symlinkSync(config.file, link);
    const linked = { ...config, file: link };
    const plan = await planned({ tier: "low", profile: "huge" }, { ...deps, config: linked, ramGb: 8192 });
    expect(applyTierChange({ hash: plan.hash, newText: plan.newText }, linked)).toMatchObject({ ok: true });
    expect(readFileSync(config.file, "utf8")).toBe(plan.newText);
    expect(statSync(link).isFile()).toBe(true);
  });
});

describe("removeModel", () => {
  function models() {
    const home = tempDir();
    const dir = join(home, "models", "hf", "org", "repo-GGUF", "main");
    mkdirSync(dir, { recursive: true });
    for (const name of ["m-00001-of-00002.gguf", "m-00002-of-00002.gguf", "m-00001-of-00002.gguf.sha256", "m-00002-of-00002.gguf.0123456789abcdef.part"])
      writeFileSync(join(dir, name), "x");
    const elsewhere = join(home, "elsewhere");
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, "outside.gguf"), "x");
    symlinkSync(join(elsewhere, "outside.gguf"), join(home, "models", "link.gguf"));
    symlinkSync(elsewhere, join(home, "models", "linked-folder"));
    writeFileSync(join(home, "models", "used.gguf"), "x");
    writeFileSync(join(home, "models", "notes.txt"), "x");
    const table = compileIn(
      (() => {
        const config = tempDir();
        writeFileSync(
          join(config, "mallex.yaml"),
          `backends:\n  engine: { kind: openai, flavor: embedded, supervise: { command: "{mallex} engine --model {model} --port {port}" } }\nprofiles:\n  used: { backend: engine, model: ${join(home, "models", "used.gguf")}, size: small }\ntiers:\n  medium: { profile: used }\n`,
        );
        return config;
      })(),
    ).table as RoutingTable;
    return { home, dir, elsewhere, deps: { table, env: {}, homedir: home, cwd: home, mallexHome: home } };
  }

  it("removes a split model whole (each part, its sidecar, a partial download) and the folders it leaves empty", async () => {
    const { home, dir, deps } = models();
    const removed = await removeModel({ path: join(dir, "m-00001-of-00002.gguf") }, deps);
    expect(removed).toEqual({
      ok: true,
      value: {
        removed: [
          join(dir, "m-00001-of-00002.gguf"),
          join(dir, "m-00001-of-00002.gguf.sha256"),
          join(dir, "m-00002-of-00002.gguf"),
          join(dir, "m-00002-of-00002.gguf.0123456789abcdef.part"),
        ],
      },
    });
    expect(existsSync(join(home, "models", "hf"))).toBe(false);
    expect(existsSync(join(home, "models"))).toBe(true);
  });

  it("refuses any path outside MALLEX_HOME/models, links, .., other files, and a model a tier uses: nothing removed", async () => {
    const { home, elsewhere, deps } = models();
    const refusal = async (path: unknown) => {
      const result = await removeModel({ path }, deps);
      return result.ok ? "removed" : result.status;
    };
    expect(await refusal(join(elsewhere, "outside.gguf"))).toBe(400);
    expect(await refusal(join(home, "models", "link.gguf"))).toBe(400);
    expect(await refusal(join(home, "models", "linked-folder", "outside.gguf"))).toBe(400);
    expect(await refusal(join(home, "models", "..", "elsewhere", "outside.gguf"))).toBe(400);
    expect(await refusal(join(home, "models", "notes.txt"))).toBe(400);
    expect(await refusal("models/used.gguf")).toBe(400);
    expect(await refusal(join(home, "models", "gone.gguf"))).toBe(404);
    expect(await refusal(42)).toBe(400);
    const used = await removeModel({ path: join(home, "models", "used.gguf") }, deps);
    expect(used).toEqual({
      ok: false,
      status: 409,
      message: "used.gguf is the model of profile used, which tier medium uses: put another model on that tier first",
    });
    for (const path of [
      join(elsewhere, "outside.gguf"),
      join(home, "models", "link.gguf"),
      join(home, "models", "used.gguf"),
      join(home, "models", "notes.txt"),
    ])
      expect(existsSync(path), path).toBe(true);
  });
});

describe("checkDownload", () => {
  it("takes a Hugging Face reference and nothing else", () => {
    expect(checkDownload({ ref: "hf:org/Repo-GGUF/m-Q4_K_M.gguf" }, "/h")).toEqual({
      ok: true,
      value: { ref: "hf:org/Repo-GGUF/m-Q4_K_M.gguf", repoDir: "/h/models/hf/org/Repo-GGUF" },
    });
    expect(checkDownload({ ref: "hf:org/Repo-GGUF:Q8_0" }, "/h")).toMatchObject({ ok: true });
    for (const ref of [
      "https://example.com/x.gguf",
      "/etc/passwd",
      "hf:../x/y.gguf",
      "hf:org/repo/../../x.gguf",
      "hf:org/repo/x.bin",
      "hf:org/repo/a.gguf#..",
    ]) {
      const check = checkDownload({ ref }, "/h");
      expect(check.ok, ref).toBe(false);
      expect(!check.ok && check.status).toBe(400);
    }
    expect(checkDownload({ ref: "hf:org/repo/x.bin" }, "/h")).toMatchObject({
      message: "hf:org/repo/x.bin is not a model source mallex understands: x.bin is not a .gguf file",
    });
  });
});

describe("newProfileFor", () => {
  const table = (backends: Record<string, unknown>, profiles: string[] = []) =>
    ({ backends, profiles: Object.fromEntries(profiles.map((name) => [name, {}])) }) as unknown as RoutingTable;
  const supervised = (flavor: string) => ({ kind: "openai", flavor, supervise: { command: "x" } });

  it("runs a GGUF on the tier's backend where it loads GGUFs, else mallex's engine before llama-server; an MLX folder on mlx-lm by its repo id", () => {
    const backends = {
      llama: supervised("llama-server"),
      engine: supervised("embedded"),
      mlx: supervised("mlx-lm"),
      remote: { kind: "openai", flavor: "embedded" },
    };
    const gguf = model("/m/x.gguf", { name: "X", params: 32e9, contextLength: 100 });
    expect(newProfileFor(gguf, table(backends))).toMatchObject({ ok: true, value: { name: "x", fields: { backend: "engine", size: "medium" } } });
    expect(newProfileFor(gguf, table(backends), "llama")).toMatchObject({ value: { fields: { backend: "llama" } } });
    expect(newProfileFor(gguf, table(backends), "mlx")).toMatchObject({ value: { fields: { backend: "engine" } } });
    const made = newProfileFor(gguf, table(backends));
    expect(made.ok && made.value.fields).not.toHaveProperty("context_window");
    const folder = model("/c/hub/models--mlx-community--Coder-4bit/snapshots/abc", { name: "Coder-4bit", format: "mlx", params: 80e9, quantization: "4-bit" });
    expect(newProfileFor(folder, table(backends))).toMatchObject({
      value: { name: "coder-4bit", fields: { backend: "mlx", model: "mlx-community/Coder-4bit", size: "large" } },
    });
    expect(newProfileFor(model("/m/x.gguf", { name: "X", params: null }), table(backends, ["x", "x-2"]))).toMatchObject({
      value: { name: "x-3", fields: { size: "small" } },
    });
    expect(newProfileFor(folder, table({ engine: supervised("embedded") }))).toMatchObject({ ok: false, status: 422 });
  });
});

describe("adoptConfigChange", () => {
  const running = {
    hash: "old",
    backends: { a: { kind: "openai" } },
    server: { port: 1 },
    profiles: { p: { name: "p", backend: "a" }, q: { name: "q", backend: "a" } },
    tiers: { low: { profile: "p" }, medium: { profile: "p" } },
  } as unknown as RoutingTable;

  it("takes the new tiers and profiles; says what else changed, which waits for a restart", () => {
    const next = {
      ...running,
      hash: "new",
      server: { port: 2 },
      profiles: { ...running.profiles, r: { name: "r", backend: "a" } },
      tiers: { low: { profile: "p" }, medium: { profile: "r" } },
    } as unknown as RoutingTable;
    const adopted = adoptConfigChange(running, next);
    expect(adopted.table).toMatchObject({ hash: "new", server: { port: 1 }, tiers: { medium: { profile: "r" } } });
    expect(Object.keys(adopted.table.profiles)).toEqual(["p", "q", "r"]);
    expect(adopted.notes).toEqual(["the config's server changed too: this mallex goes on with them as it started; they apply when mallex starts again"]);
  });

  it("keeps a tier whose new profile runs on a backend this proxy did not start with", () => {
    const next = {
      ...running,
      backends: { ...running.backends, b: { kind: "openai" } },
      profiles: { ...running.profiles, s: { name: "s", backend: "b" } },
      tiers: { low: { profile: "s" }, medium: { profile: "q" } },
    } as unknown as RoutingTable;
    const adopted = adoptConfigChange(running, next);
    expect(adopted.table.tiers).toEqual({ low: { profile: "p" }, medium: { profile: "q" } });
    expect(adopted.table.profiles).toEqual({ p: running.profiles.p, q: running.profiles.q });
    expect(adopted.notes).toEqual([
      "the config's backends changed too: this mallex goes on with them as it started; they apply when mallex starts again",
      "tier low's profile s runs on backend b, which this mallex did not start with: it serves p there until mallex starts again",
    ]);
  });
});
