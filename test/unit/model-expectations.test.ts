import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MEASURED_EVALS, describeMeasuredEval, describeServedModel } from "../../src/setup/model-expectations.js";
import { listLocalProfiles } from "../../src/setup/recommend-profile.js";
import { compileIn, packageRoot } from "../helpers/config-tree.js";

describe("what a model was measured to do", () => {
  it("every figure init and run state is one docs/eval.md reports", () => {
    const page = readFileSync(join(packageRoot, "docs", "eval.md"), "utf8");
    for (const measured of MEASURED_EVALS) {
      expect(page, measured.profile).toContain(`passed ${measured.best} of ${measured.total}`);
      expect(page, measured.profile).toContain(`${measured.latest} of ${measured.total}`);
      expect(page, measured.profile).toContain(measured.profile);
    }
  });

  it("the best figure is the best run docs/eval.md's table of the shipped small profile reports: a better run is quoted, not an older one", () => {
    const page = readFileSync(join(packageRoot, "docs", "eval.md"), "utf8");
    const section = page.slice(page.indexOf("### Levers for a small model"));
    const table = section.slice(section.indexOf("\n|"), section.indexOf("\n\n", section.indexOf("\n|")));
    const passes = [...table.matchAll(/\b(\d+)(?: and (\d+))? of 13\b/g)].flatMap((m) => [m[1], m[2]].filter((n) => n !== undefined).map(Number));
    expect(passes.length).toBeGreaterThan(5);
    expect(MEASURED_EVALS.find((measured) => measured.profile === "gguf-qwen2.5-coder-1.5b")!.best).toBe(Math.max(...passes));
  });

  it("found by profile name, or by a model file of the same model (--embedded)", () => {
    expect(describeMeasuredEval("gguf-qwen2.5-coder-1.5b")).toMatch(
      /^finished 7 of 13 of mallex's eval tasks through Claude Code \(2 x86 cores, embedded engine, 2026-11-28; docs\/eval\.md\)$/,
    );
    expect(describeMeasuredEval("embedded", "/cache/gguf/Qwen2.5-Coder-1.5B-Instruct.Q4_K_M.gguf")).toBeDefined();
    expect(describeMeasuredEval("gguf-qwen2.5-coder-7b", "hf:bartowski/Qwen2.5-Coder-7B-Instruct-GGUF/x.gguf")).toBeUndefined();
  });

  it("mallex run's line: the eval's figure, the next size up where the model finishes few tasks, and after enough requests this machine's own speeds", () => {
    const options = { minSamples: 3, profiles: listLocalProfiles(compileIn(packageRoot).table!), mallex: "mallex" };
    const profile = { name: "gguf-qwen2.5-coder-1.5b", model: "x.gguf" };
    // Half the suite or more: no next size up.
    expect(describeServedModel("medium", profile, undefined, options)).toMatch(
      /^medium tier → gguf-qwen2\.5-coder-1\.5b: finished 7 of 13 of mallex's eval tasks .*; docs\/eval\.md\)$/,
    );
    const weak = [{ ...MEASURED_EVALS[0]!, best: 2, latest: 1 }];
    expect(describeServedModel("medium", profile, undefined, { ...options, evals: weak })).toMatch(
      /^medium tier → gguf-qwen2\.5-coder-1\.5b: finished 2 of 13 .*; the next size up, gguf-qwen2\.5-coder-7b, needs 8 GB and a 4\.68 GB download \(`mallex init --force --model gguf-qwen2\.5-coder-7b`\)$/,
    );
    const rates = { prefill: [40, 52, 48], decode: [9.1, 8.7, 9.4], tokenRatio: [], sharedPrefix: [] };
    expect(describeServedModel("medium", profile, rates, { ...options, evals: weak })).toContain(
      "; measured here: 48 tokens/s prefill, 9.1 tokens/s decode (median of its last 3 requests); the next size up, ",
    );
    // A model mallex knows nothing of, measured nowhere yet: no line.
    expect(describeServedModel("medium", { name: "mine", model: "mine.gguf" }, { ...rates, decode: [9] }, options)).toBeUndefined();
    expect(describeServedModel("medium", { name: "mine", model: "mine.gguf" }, rates, options)).toBe(
      "medium tier → mine: measured here: 48 tokens/s prefill, 9.1 tokens/s decode (median of its last 3 requests)",
    );
  });
});
