import type { TierName } from "../../generated/config.js";
import { describe, expect, it } from "vitest";
import type { Hardware } from "../../src/setup/detect-hardware.js";
import { planTiers, parseTierList } from "../../src/setup/plan-tiers.js";
import { listLocalProfiles } from "../../src/setup/recommend-profile.js";
import { renderConfig } from "../../src/setup/render-config.js";
import { compileIn, compileTree, packageRoot } from "../helpers/config-tree.js";

const shipped = compileIn(packageRoot).table!;
const profiles = listLocalProfiles(shipped).filter((p) => p.backend === "mlx");
const profile = profiles.find((p) => p.name === "qwen2.5-coder-14b")!;
const ggufProfiles = listLocalProfiles(shipped).filter((p) => p.backend === "embedded");
const gguf = ggufProfiles.find((p) => p.name === "gguf-qwen2.5-coder-14b")!;
const mac: Hardware = { platform: "darwin", arch: "arm64", ramGb: 24, chip: "Apple M4 Pro", appleSilicon: true };
const linux: Hardware = { platform: "linux", arch: "x64", ramGb: 23.5, appleSilicon: false };
const inheritedFallbacks = { high: "medium" } as const;

const SUBSETS: TierName[][] = [[], ["low"], ["medium"], ["high"], ["low", "medium"], ["low", "high"], ["medium", "high"], ["low", "medium", "high"]];

describe("renderConfig", () => {
  it.each(SUBSETS.map((s) => [s.join(",") || "none", s] as const))(
    "tiers to Claude: %s — compiles with no diagnostic, routes as chosen",
    (_label, tiersToClaude) => {
      const text = renderConfig({ profile, tiersToClaude, hardware: mac, alternatives: profiles, inheritedFallbacks });
      const result = compileTree({ "mallex.yaml": text });
      expect(result.lines).toEqual([]);
      const tiers = result.table!.tiers;
      for (const tier of ["low", "medium", "high"] as const) {
        expect(tiers[tier].profile, tier).toBe(tiersToClaude.includes(tier) ? "claude-sonnet" : "qwen2.5-coder-14b");
      }
      // Every Claude tier that can reach a local tier does: a missing key keeps it serving.
      const local = (["low", "medium", "high"] as const).filter((t) => !tiersToClaude.includes(t));
      for (const tier of tiersToClaude) {
        if (local.length === 0) continue;
        let next: TierName | undefined = tiers[tier].fallback;
        const seen = new Set<TierName>([tier]);
        while (next && tiersToClaude.includes(next) && !seen.has(next)) {
          seen.add(next);
          next = tiers[next].fallback;
        }
        // The one exception: low and medium to Claude, high local (its inherited fallback is medium; see planTiers).
        if (next === undefined) expect(`${tiersToClaude.join()}:${tier}`).toBe("low,medium:medium");
        else expect(local).toContain(next);
      }
    },
  );

  it("starts with the schema line and include: [mallex], and comments every part", () => {
    const text = renderConfig({
      profile,
      tiersToClaude: ["high"],
      hardware: mac,
      reason: "24 GB RAM → qwen2.5-coder-14b (needs 16 GB)",
      schemaUrl: "./node_modules/mallex/schema/mallex.schema.json",
    });
    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=./node_modules/mallex/schema/mallex.schema.json");
    expect(text).toMatch(/^include: \[mallex\]$/m);
    expect(text).toContain("#   Apple M4 Pro, 24 GB unified memory");
    expect(text).toContain("#   24 GB RAM → qwen2.5-coder-14b (needs 16 GB)");
    expect(text).toMatch(/^ {2}high: {3}\{ profile: claude-sonnet, fallback: medium \} +# Claude; without ANTHROPIC_API_KEY it falls back to medium$/m);
    expect(text).toContain("export ANTHROPIC_API_KEY=sk-ant-…");
    expect(text).not.toMatch(/^backends:/m);
    expect(text).not.toContain("This machine cannot run mlx-lm");
    // Only tiers and the memory budget mallex detected are written: no other top-level key.
    expect(text.split("\n").filter((l) => /^[a-z_]+:/.test(l))).toEqual(["include: [mallex]", "tiers:", "memory:"]);
    expect(text).toMatch(
      /^# 75% of the 24 GB this machine reports \(macOS's default GPU limit\); more if you close other apps\.\nmemory:\n {2}budget_gb: 18$/m,
    );
    expect(compileTree({ "mallex.yaml": text }).table!.memory).toEqual({ budgetGb: 18 });
  });

  it("with no Claude tier says how to add one, and writes no API section", () => {
    const text = renderConfig({ profile, tiersToClaude: [], hardware: mac });
    expect(text).toContain(
      "# To send the hardest questions to Claude, export ANTHROPIC_API_KEY and write:\n#   high: { profile: claude-sonnet, fallback: medium }\n",
    );
    expect(text).not.toContain("--- The Anthropic API");
  });

  it("names another key variable without ever holding a key, and that compiles", () => {
    const text = renderConfig({ profile, tiersToClaude: ["high"], apiKeyEnv: "MY_CLAUDE_KEY", hardware: mac, inheritedFallbacks });
    expect(text).toContain("backends:\n  anthropic:\n    api_key: ${MY_CLAUDE_KEY}");
    const result = compileTree({ "mallex.yaml": text }, { MY_CLAUDE_KEY: "sk-ant-secret" });
    expect(result.lines).toEqual([]);
    expect(result.table!.backends.anthropic!.apiKey).toBe("${MY_CLAUDE_KEY}");
    expect(JSON.stringify(result.files)).not.toContain("sk-ant-secret");
    expect(() => renderConfig({ profile, tiersToClaude: ["high"], apiKeyEnv: "sk-ant-123", hardware: mac })).toThrow();
  });

  it("where mlx-lm cannot run (an Intel Mac) explains llama-server/Ollama with --backend-url, keeping the profile", () => {
    const intelMac: Hardware = { ...linux, platform: "darwin" };
    const text = renderConfig({ profile, tiersToClaude: [], hardware: intelMac, inheritedFallbacks });
    expect(text).toContain("# --- This machine cannot run mlx-lm");
    expect(text).toContain("#   mallex run --backend-url http://127.0.0.1:8080/v1");
    expect(text.replace(/\n# /g, " ")).toContain("`mallex init --force --backend embedded` rewrites this file");
    expect(text).toContain("#       size: small");
    expect(compileTree({ "mallex.yaml": text }).lines).toEqual([]);
  });

  it("on Linux an mlx-lm profile, asked for, is written as it is: mlx-lm runs there on its CPU backend", () => {
    const text = renderConfig({ profile, tiersToClaude: [], hardware: linux, inheritedFallbacks });
    expect(text).not.toContain("# --- This machine cannot run mlx-lm");
    expect(text).toContain("#   Linux x64, 24 GB RAM, no GPU found");
    expect(compileTree({ "mallex.yaml": text }).lines).toEqual([]);
  });

  it("says why the memory budget is 75% of RAM in this machine's terms: macOS's GPU limit on a Mac only (issue 50)", () => {
    for (const hardware of [linux, { ...linux, platform: "win32" as const }]) {
      const text = renderConfig({ profile: gguf, tiersToClaude: [], hardware, inheritedFallbacks });
      expect(text).not.toContain("macOS");
      expect(text).toMatch(
        /^# 75% of the 23\.5 GB this machine reports \(mallex's default, which leaves the rest to the system and\n# other programs\); more if you close other apps\.\nmemory:\n {2}budget_gb: 17$/m,
      );
    }
  });

  it("for the embedded engine: what it is, what its first start downloads, how to tune it; tiers on the GGUF profile", () => {
    const text = renderConfig({ profile: gguf, tiersToClaude: ["high"], hardware: linux, alternatives: ggufProfiles, inheritedFallbacks });
    expect(text).toContain("# --- The model server: mallex's embedded engine");
    expect(text).toContain("into $MALLEX_HOME/models:\n#   hf:bartowski/Qwen2.5-Coder-14B-Instruct-GGUF/Qwen2.5-Coder-14B-Instruct-Q4_K_M.gguf\n");
    expect(text).toContain("#     gguf-qwen2.5-coder-14b:\n#       engine: { threads: 4, gpu_layers: 0 }");
    expect(text).not.toContain("This machine cannot run mlx-lm");
    expect(text).toContain("gguf-qwen2.5-coder-7b (8 GB)");
    expect(text).not.toMatch(/^# .*\bqwen3-coder-next\b/m);
    const section = text.slice(text.indexOf("# --- The model server"), text.indexOf("# --- Effort tiers"));
    expect(Math.max(...section.split("\n").map((l) => l.length))).toBeLessThanOrEqual(100);
    const result = compileTree({ "mallex.yaml": text });
    expect(result.lines).toEqual([]);
    expect(result.table!.tiers).toEqual({
      low: { profile: "gguf-qwen2.5-coder-14b" },
      medium: { profile: "gguf-qwen2.5-coder-14b" },
      high: { profile: "claude-sonnet", fallback: "medium" },
    });
    expect(result.table!.backends[result.table!.profiles["gguf-qwen2.5-coder-14b"]!.backend]!.flavor).toBe("embedded");
  });

  it("wraps the list of other profiles at 100 columns", () => {
    const text = renderConfig({ profile, tiersToClaude: [], hardware: mac, alternatives: profiles });
    expect(
      Math.max(
        ...text
          .split("\n")
          .filter((l) => l.startsWith("# Other") || l.startsWith("# qwen"))
          .map((l) => l.length),
      ),
    ).toBeLessThanOrEqual(100);
    expect(text).toContain("qwen2.5-coder-7b (8 GB)");
    expect(text).not.toContain("qwen2.5-coder-14b (16 GB)");
  });
});

describe("planTiers", () => {
  const plan = (tiersToClaude: TierName[]) => planTiers({ localProfile: "L", claudeProfile: "C", tiersToClaude, inheritedFallbacks });

  it("keeps the inherited high → medium when medium is local", () => {
    expect(plan(["high"])).toEqual({
      low: { profile: "L", claude: false },
      medium: { profile: "L", claude: false },
      high: { profile: "C", claude: true, fallback: "medium" },
    });
  });

  it("sends a Claude tier to the nearest local one, lower first", () => {
    expect(plan(["medium"]).medium.fallback).toBe("low");
    expect(plan(["medium", "high"]).high.fallback).toBe("low");
    expect(plan(["low"]).low.fallback).toBe("medium");
  });

  it("never closes a loop with the inherited fallback", () => {
    // high (local) → medium is inherited; medium → high would loop, so medium gets none.
    const p = plan(["low", "medium"]);
    expect(p.low.fallback).toBe("high");
    expect(p.medium.fallback).toBeUndefined();
    expect(p.high.fallback).toBe("medium");
  });

  it("all Claude: no local tier to fall back to", () => {
    const p = plan(["low", "medium", "high"]);
    expect(p.low.fallback).toBeUndefined();
    expect(p.medium.fallback).toBeUndefined();
  });
});

describe("parseTierList", () => {
  it("reads commas and spaces, orders low → high, and reports unknown names", () => {
    expect(parseTierList("high,medium")).toEqual({ tiers: ["medium", "high"], unknown: [] });
    expect(parseTierList(" High  low ")).toEqual({ tiers: ["low", "high"], unknown: [] });
    expect(parseTierList("none")).toEqual({ tiers: [], unknown: [] });
    expect(parseTierList("")).toEqual({ tiers: [], unknown: [] });
    expect(parseTierList("hgh")).toEqual({ tiers: [], unknown: ["hgh"] });
  });
});
