import { describe, expect, it } from "vitest";
import { REPORTED_RAM_SLACK, listLocalProfiles, recommendProfile } from "../../src/setup/recommend-profile.js";
import { compileIn, packageRoot } from "../helpers/config-tree.js";

const table = compileIn(packageRoot).table!;
const all = listLocalProfiles(table);
const profiles = all.filter((p) => p.backend === "mlx");
const gguf = all.filter((p) => p.backend === "embedded");

describe("listLocalProfiles", () => {
  it("lists the shipped default's local profiles by the memory they need, without the Anthropic one", () => {
    expect(all.map((p) => [p.name, p.minRamGb, p.backend])).toEqual([
      ["gguf-qwen2.5-coder-1.5b", 4, "embedded"],
      ["qwen2.5-coder-7b", 8, "mlx"],
      ["gguf-qwen2.5-coder-7b", 8, "embedded"],
      ["qwen2.5-coder-14b", 16, "mlx"],
      ["gguf-qwen2.5-coder-14b", 16, "embedded"],
      ["qwen3-coder-30b", 32, "mlx"],
      ["gguf-qwen3-coder-30b", 32, "embedded"],
      ["qwen3-coder-30b-8bit", 48, "mlx"],
      ["qwen3-coder-next", 64, "mlx"],
      ["qwen3-coder-next-8bit", 128, "mlx"],
    ]);
    expect(profiles.every((p) => p.flavor === "mlx-lm")).toBe(true);
    expect(gguf.every((p) => p.flavor === "embedded" && p.model.startsWith("hf:") && p.model.endsWith("-Q4_K_M.gguf"))).toBe(true);
  });
});

describe("recommendProfile among the embedded engine's GGUF profiles", () => {
  it.each([
    [2, "gguf-qwen2.5-coder-1.5b"],
    [7.6, "gguf-qwen2.5-coder-7b"],
    [15.4, "gguf-qwen2.5-coder-14b"],
    [23.5, "gguf-qwen2.5-coder-14b"],
    [31, "gguf-qwen3-coder-30b"],
    [256, "gguf-qwen3-coder-30b"],
  ])("%s GB → %s, with no mlx-lm warning off Apple Silicon", (gb, name) => {
    const rec = recommendProfile(gguf, gb, { appleSilicon: false });
    expect(rec.profile.name).toBe(name);
    expect(rec.warnings.some((w) => w.includes("mlx-lm"))).toBe(false);
  });
});

describe("recommendProfile", () => {
  // Every boundary of the table: at the need (and at the slack below it) the profile fits; just under, the one before.
  const boundaries: Array<[number, string]> = [
    [8, "qwen2.5-coder-7b"],
    [16, "qwen2.5-coder-14b"],
    [32, "qwen3-coder-30b"],
    [48, "qwen3-coder-30b-8bit"],
    [64, "qwen3-coder-next"],
    [128, "qwen3-coder-next-8bit"],
  ];
  it.each(boundaries)("%i GB → %s, and just below the slack the previous one", (gb, name) => {
    expect(recommendProfile(profiles, gb).profile.name).toBe(name);
    expect(recommendProfile(profiles, gb * REPORTED_RAM_SLACK).profile.name).toBe(name);
    const index = boundaries.findIndex(([g]) => g === gb);
    const below = recommendProfile(profiles, gb * REPORTED_RAM_SLACK - 0.01);
    expect(below.profile.name).toBe(index === 0 ? "qwen2.5-coder-7b" : boundaries[index - 1]![1]);
  });

  it("says why, naming the next profile up", () => {
    expect(recommendProfile(profiles, 24).reason).toBe("24 GB RAM → qwen2.5-coder-14b (needs 16 GB; qwen3-coder-30b needs 32 GB)");
    expect(recommendProfile(profiles, 192).reason).toBe("192 GB RAM → qwen3-coder-next-8bit (needs 128 GB)");
    expect(recommendProfile(profiles, 23.5).reason).toMatch(/^24 GB RAM/);
  });

  it("holds what Linux reports for installed memory (a 16 GB box says ~15.4 GiB, 128 GB ~125.7)", () => {
    expect(recommendProfile(profiles, 15.4).profile.name).toBe("qwen2.5-coder-14b");
    expect(recommendProfile(profiles, 125.7).profile.name).toBe("qwen3-coder-next-8bit");
    expect(recommendProfile(profiles, 7.6).profile.name).toBe("qwen2.5-coder-7b");
    expect(recommendProfile(profiles, 7.6).warnings).toEqual([]);
  });

  it("below the smallest need: the smallest, with a warning", () => {
    const rec = recommendProfile(profiles, 4);
    expect(rec.profile.name).toBe("qwen2.5-coder-7b");
    expect(rec.reason).toBe("4 GB RAM → qwen2.5-coder-7b, the smallest profile (needs 8 GB)");
    expect(rec.warnings).toHaveLength(1);
    expect(rec.warnings[0]).toMatch(/below what qwen2.5-coder-7b needs \(8 GB\)/);
  });

  it("unknown RAM: the smallest, with a warning", () => {
    const rec = recommendProfile(profiles, 0);
    expect(rec.profile.name).toBe("qwen2.5-coder-7b");
    expect(rec.warnings[0]).toMatch(/could not read this machine's memory/);
  });

  it("off Apple Silicon keeps the model family and says mlx-lm cannot run there", () => {
    const rec = recommendProfile(profiles, 24, { appleSilicon: false });
    expect(rec.profile.name).toBe("qwen2.5-coder-14b");
    expect(rec.warnings).toEqual([expect.stringMatching(/mlx-lm needs macOS on Apple Silicon.*llama-server or Ollama.*--backend-url/)]);
    expect(recommendProfile(profiles, 24, { appleSilicon: true }).warnings).toEqual([]);
  });

  it("picks the larger of two profiles with the same need, and refuses an empty list", () => {
    const twins = [
      { ...profiles[0]!, name: "a", paramsB: 7 },
      { ...profiles[0]!, name: "b", paramsB: 8 },
    ];
    expect(recommendProfile(twins, 8).profile.name).toBe("b");
    expect(() => recommendProfile([], 8)).toThrow();
  });
});
