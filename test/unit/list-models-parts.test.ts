import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import type { CompiledBackend, CompiledProfile } from "../../src/compile/routing-table.js";
import { findGgufFiles, findHubModels } from "../../src/models/find-model-files.js";
import { formatBytes, formatModelsTable, formatParams } from "../../src/models/format-models-table.js";
import { judgeFit } from "../../src/models/judge-fit.js";
import { expectedFormat, locateProfileModel } from "../../src/models/locate-profile-model.js";
import { mergeModelCandidates } from "../../src/models/merge-model-candidates.js";
import type { ModelEntry } from "../../src/models/model-entry.js";

const GB = 1024 ** 3;
const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A folder of these files (content as given; a path ending in / is an empty folder). */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "mallex-models-"));
  made.push(dir);
  for (const [path, text] of Object.entries(files)) {
    if (path.endsWith("/")) mkdirSync(join(dir, path), { recursive: true });
    else {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
  }
  return dir;
}

describe("whether a model fits (judgeFit: doctor's rule)", () => {
  it("a profile's min_ram_gb first (the largest of them), else the weights with their overhead, against the RAM within the OS's slack", () => {
    expect(judgeFit({ sizeBytes: GB, minRamGb: [4, 8] }, 24)).toEqual({ fits: true, needsGb: 8 });
    expect(judgeFit({ sizeBytes: 10 * GB, minRamGb: [] }, 24)).toEqual({ fits: true, needsGb: 12 });
    // 16 GB installed reports ~15.4: a profile that needs 16 still fits, as `mallex init` says.
    expect(judgeFit({ sizeBytes: null, minRamGb: [16] }, 15.4)).toEqual({ fits: true, needsGb: 16 });
    expect(judgeFit({ sizeBytes: null, minRamGb: [32] }, 24)).toEqual({ fits: false, needsGb: 32 });
  });

  it("unknown without a size, or without the machine's memory", () => {
    expect(judgeFit({ sizeBytes: null, minRamGb: [] }, 24)).toEqual({ fits: null, needsGb: null });
    expect(judgeFit({ sizeBytes: GB, minRamGb: [] }, 0)).toEqual({ fits: null, needsGb: 1.2 });
  });
});

describe("one model per real path (mergeModelCandidates)", () => {
  it("gathers the profiles and tiers (in tier order) and the names of every sighting, keeps the first name, and a model on disk stays on disk", () => {
    const merged = mergeModelCandidates([
      { key: "/m/a.gguf", name: "a", path: "/m/a.gguf", format: "gguf" },
      {
        key: "/m/a.gguf",
        name: "a-from-profile",
        path: "/m/a.gguf",
        format: "gguf",
        profile: { name: "big", tiers: ["high", "classifier"], minRamGb: 8 },
        namedAs: "~/a.gguf",
      },
      { key: "/m/a.gguf", name: "a", path: "/m/a.gguf", format: "gguf", profile: { name: "small", tiers: ["low", "high"] }, namedAs: "/m/a.gguf" },
      { key: "/m/a.gguf", name: "a", path: "/m/a.gguf", format: "gguf", namedAs: "~/a.gguf" },
      { key: "absent:x", name: "x", path: null, format: "mlx", absent: { state: "not downloaded", problem: "p" }, profile: { name: "x", tiers: [] } },
      // Measured here and gone: found only by its name, so it stays not here.
      { key: "absent:y", name: "y", path: null, format: "gguf", absent: { state: "not here", problem: "q" }, namedAs: "y:7b" },
    ]);
    expect(merged).toEqual([
      {
        key: "/m/a.gguf",
        name: "a",
        path: "/m/a.gguf",
        format: "gguf",
        profiles: ["big", "small"],
        tiers: ["low", "high", "classifier"],
        minRamGb: [8],
        namedAs: ["~/a.gguf", "/m/a.gguf"],
      },
      {
        key: "absent:x",
        name: "x",
        path: null,
        format: "mlx",
        absent: { state: "not downloaded", problem: "p" },
        profiles: ["x"],
        tiers: [],
        minRamGb: [],
        namedAs: [],
      },
      {
        key: "absent:y",
        name: "y",
        path: null,
        format: "gguf",
        absent: { state: "not here", problem: "q" },
        profiles: [],
        tiers: [],
        minRamGb: [],
        namedAs: ["y:7b"],
      },
    ]);
    const found = mergeModelCandidates([
      { key: "k", name: "n", path: "/p", format: "mlx", absent: { state: "partly downloaded", problem: "p" } },
      { key: "k", name: "n", path: "/p", format: "mlx" },
    ]);
    expect(found[0]).not.toHaveProperty("absent");
  });
});

describe("finding models on disk", () => {
  it("every *.gguf under MALLEX_HOME/models, links followed; not the engine's .part files, .sha256 sidecars, hidden folders nor a split model's later parts", () => {
    const dir = tree({
      "hf/user/repo/main/model-Q4_K_M.gguf": "GGUF",
      "hf/user/repo/main/model-Q4_K_M.gguf.sha256": "x",
      "hf/user/repo/main/big.gguf.0123456789abcdef.part": "GG",
      "hf/user/repo/main/.tags/latest": "model-Q4_K_M.gguf",
      "mine.GGUF": "GGUF",
      "big-00001-of-00002.gguf": "GGUF",
      "big-00002-of-00002.gguf": "GGUF",
      ".hidden/x.gguf": "GGUF",
    });
    symlinkSync(join(dir, "mine.GGUF"), join(dir, "linked.gguf"));
    symlinkSync(join(dir, "nowhere.gguf"), join(dir, "broken.gguf"));
    // A split model is its first part (the reader adds up the others).
    expect(findGgufFiles(dir)).toEqual([
      join(dir, "big-00001-of-00002.gguf"),
      join(dir, "hf/user/repo/main/model-Q4_K_M.gguf"),
      join(dir, "linked.gguf"),
      join(dir, "mine.GGUF"),
    ]);
    expect(findGgufFiles(join(dir, "absent"))).toEqual([]);
  });

  it("the hub cache: the snapshot refs/main names (an MLX folder: config.json and weights), GGUFs in one, a download that did not finish", () => {
    const cache = tree({
      "models--mlx-community--Qwen-4bit/refs/main": "new\n",
      "models--mlx-community--Qwen-4bit/snapshots/old/config.json": "{}",
      "models--mlx-community--Qwen-4bit/snapshots/old/model.safetensors": "",
      "models--mlx-community--Qwen-4bit/snapshots/new/config.json": "{}",
      "models--mlx-community--Qwen-4bit/snapshots/new/model.safetensors": "",
      "models--org--Some-GGUF/snapshots/abc/some-Q8_0.gguf": "GGUF",
      "models--org--Half/blobs/123.incomplete": "",
      "models--org--Half/snapshots/abc/config.json": "{}",
      "models--org--Tokenizer-only/snapshots/abc/tokenizer.json": "{}",
      "datasets--org--data/snapshots/abc/config.json": "{}",
    });
    expect(findHubModels(cache)).toEqual([
      { name: "Qwen-4bit", path: join(cache, "models--mlx-community--Qwen-4bit/snapshots/new"), format: "mlx" },
      { name: "Half", path: join(cache, "models--org--Half/snapshots/abc"), format: "mlx", incomplete: true },
      { name: "some-Q8_0", path: join(cache, "models--org--Some-GGUF/snapshots/abc/some-Q8_0.gguf"), format: "gguf" },
    ]);
    expect(findHubModels(join(cache, "absent"))).toEqual([]);
  });
});

describe("where a profile's model is (locateProfileModel)", () => {
  const backend = (flavor: string) => ({ kind: "openai", flavor, supervise: {} }) as unknown as CompiledBackend;
  const profile = (model: string) => ({ name: "p", backend: "b", model }) as CompiledProfile;

  it("an embedded hf: URI in MALLEX_HOME/models: there, half-downloaded (its .part), or to come", () => {
    const home = tree({ "models/hf/user/repo/main/": "" });
    const deps = { env: {}, homedir: home, cwd: home, mallexHome: home };
    const uri = "hf:user/repo/model-Q4_K_M.gguf";
    const path = join(home, "models/hf/user/repo/main/model-Q4_K_M.gguf");
    expect(locateProfileModel(profile(uri), backend("embedded"), deps)).toEqual({
      here: false,
      state: "not downloaded",
      path,
      format: "gguf",
      problem: "the embedded engine downloads it on first start",
    });
    writeFileSync(`${path}.0123456789abcdef.part`, "GG");
    expect(locateProfileModel(profile(uri), backend("embedded"), deps)).toMatchObject({ here: false, state: "partly downloaded", path });
    writeFileSync(path, "GGUF");
    expect(locateProfileModel(profile(uri), backend("embedded"), deps)).toEqual({ here: true, path });
  });

  it("a path (~/ and relative ones), or an mlx-lm repo id in the hub cache; an empty path is missing", () => {
    const home = tree({ "m/x.gguf": "GGUF", "hub/models--org--M/snapshots/abc/model.safetensors": "", "hub/models--org--M/snapshots/abc/config.json": "{}" });
    const deps = { env: { HF_HUB_CACHE: join(home, "hub") }, homedir: home, cwd: join(home, "m"), mallexHome: home };
    expect(locateProfileModel(profile("~/m/x.gguf"), backend("llama-server"), deps)).toEqual({ here: true, path: join(home, "m/x.gguf") });
    expect(locateProfileModel(profile("x.gguf"), backend("llama-server"), deps)).toEqual({ here: true, path: join(home, "m/x.gguf") });
    expect(locateProfileModel(profile("org/M"), backend("mlx-lm"), deps)).toEqual({ here: true, path: join(home, "hub/models--org--M/snapshots/abc") });
    expect(locateProfileModel(profile("org/Other"), backend("mlx-lm"), deps)).toMatchObject({
      here: false,
      state: "not downloaded",
      path: null,
      format: "mlx",
    });
    expect(locateProfileModel(profile("/no/such.gguf"), backend("llama-server"), deps)).toEqual({
      here: false,
      state: "missing",
      path: "/no/such.gguf",
      format: "gguf",
      problem: "nothing is at /no/such.gguf",
    });
    expect([
      expectedFormat("mlx-lm", "x.gguf"),
      expectedFormat("embedded", "org/M"),
      expectedFormat("custom", "org/M"),
      expectedFormat("custom", "a.gguf"),
    ]).toEqual(["mlx", "gguf", "mlx", "gguf"]);
  });
});

describe("mallex models' table (formatModelsTable)", () => {
  const entry = (over: Partial<ModelEntry>): ModelEntry => ({
    name: "Qwen2.5-Coder-1.5B-Instruct.Q4_K_M",
    path: "/h/models/q.gguf",
    format: "gguf",
    architecture: "qwen2",
    params: 1_777_088_000,
    quantization: "Q4_K_M",
    sizeBytes: 1_117_320_736,
    contextLength: 32768,
    profiles: ["coder"],
    tiers: ["low", "medium"],
    fits: true,
    needsGb: 1.25,
    state: "on disk",
    problem: null,
    ...over,
  });

  it("one line a model, then why each broken or half-there one is so; nothing made up for what is unknown", () => {
    const lines = formatModelsTable([
      entry({}),
      entry({
        name: "cut",
        path: "/h/models/cut.gguf",
        architecture: null,
        params: null,
        quantization: null,
        contextLength: null,
        sizeBytes: 100_000,
        profiles: [],
        tiers: [],
        fits: null,
        needsGb: null,
        state: "unreadable",
        problem: "truncated: …",
      }),
      entry({
        name: "Big",
        path: null,
        format: "mlx",
        architecture: null,
        params: null,
        quantization: null,
        contextLength: null,
        sizeBytes: null,
        profiles: ["big"],
        tiers: [],
        fits: false,
        needsGb: 64,
        state: "not downloaded",
        problem: "to come",
      }),
    ]);
    expect(lines).toEqual([
      "model                               format  arch   params  quant   size    context  fits          used by              state           path",
      "Qwen2.5-Coder-1.5B-Instruct.Q4_K_M  gguf    qwen2  1.78B   Q4_K_M  1.0 GB  32,768   yes (1.3 GB)  coder (low, medium)  on disk         /h/models/q.gguf",
      "cut                                 gguf    -      -       -       98 KB   -        ?             -                    unreadable      /h/models/cut.gguf",
      "Big                                 mlx     -      -       -       -       -        no (64 GB)    big                  not downloaded  -",
      "cut: unreadable: truncated: …",
    ]);
  });

  it("colours only when asked, and after each cell is escaped (a name comes from a file)", () => {
    const lines = formatModelsTable([entry({ name: "evil\u001b]0;x\u0007" })], { colour: true, escape: (text) => JSON.stringify(text).slice(1, -1) });
    expect(lines[1]).toContain("evil\\u001b]0;x\\u0007");
    expect(lines[1]).toContain("\u001b[32myes (1.3 GB)\u001b[39m");
    expect(stripVTControlCharacters(lines[1]!)).not.toContain("\u001b");
    expect(formatModelsTable([entry({})]).join("\n")).not.toContain("\u001b");
  });

  it("parameters in three digits, sizes in GB, MB or KB of 1024", () => {
    expect([1_777_088_000, 134_515_008, 292_800, 999_600_000, 70_553_706_496, 512].map(formatParams)).toEqual(["1.78B", "135M", "293K", "1B", "70.6B", "512"]);
    expect([1_117_320_736, 98_362_432, 1_185_376, 10].map(formatBytes)).toEqual(["1.0 GB", "94 MB", "1 MB", "1 KB"]);
  });
});
