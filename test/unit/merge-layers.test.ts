import { describe, expect, it } from "vitest";
import { disableRules, mergeLayers } from "../../src/config/merge-layers.js";
import { originAt, recordOrigin, type Origins } from "../../src/config/source-position.js";

const at = (file: string, line: number) => ({ value: { file, line, col: 1 } });

describe("mergeLayers", () => {
  it("deep-merges maps, replaces scalars and plain lists, and does not mutate its inputs", () => {
    const origins: Origins = new WeakMap();
    const base = { server: { host: "a", port: 1 }, allow: ["Read", "Write"] };
    const over = { server: { port: 2 }, allow: ["Bash"] };
    expect(mergeLayers(base, over, origins)).toEqual({ server: { host: "a", port: 2 }, allow: ["Bash"] });
    expect(base).toEqual({ server: { host: "a", port: 1 }, allow: ["Read", "Write"] });
  });

  it("merges rule lists by id, in place, and appends new ids", () => {
    const origins: Origins = new WeakMap();
    const base = [
      { id: "a", priority: 1, action: "drop" },
      { id: "b", priority: 2 },
    ];
    const over = [
      { id: "a", priority: 9 },
      { id: "c", priority: 3 },
    ];
    expect(mergeLayers(base, over, origins)).toEqual([
      { id: "a", priority: 9, action: "drop" },
      { id: "b", priority: 2 },
      { id: "c", priority: 3 },
    ]);
  });

  it("carries each value's origin through the merge, so errors point into the file that wrote it", () => {
    const origins: Origins = new WeakMap();
    const baseRule = { id: "a", action: "drop" };
    const base = { filters: [baseRule] };
    recordOrigin(origins, base, "filters", at("base.yaml", 1));
    recordOrigin(origins, base.filters, 0, at("base.yaml", 2));
    recordOrigin(origins, baseRule, "action", at("base.yaml", 3));
    const overRule = { id: "a", priority: 5 };
    const over = { filters: [overRule] };
    recordOrigin(origins, over, "filters", at("team.yaml", 1));
    recordOrigin(origins, over.filters, 0, at("team.yaml", 7));
    recordOrigin(origins, overRule, "priority", at("team.yaml", 8));
    const merged = mergeLayers(base, over, origins);
    const fallback = { file: "?", line: 0, col: 0 };
    expect(originAt(merged, origins, ["filters", 0, "action"], fallback).value.file).toBe("base.yaml");
    expect(originAt(merged, origins, ["filters", 0, "priority"], fallback).value).toEqual({ file: "team.yaml", line: 8, col: 1 });
    expect(originAt(merged, origins, ["filters", 0], fallback).value).toEqual({ file: "team.yaml", line: 7, col: 1 });
  });
});

describe("disableRules", () => {
  it("removes rules by id from every rule list and reports ids that matched nothing", () => {
    const origins: Origins = new WeakMap();
    const config = { filters: [{ id: "a" }, { id: "b" }], trimming: { small: { keep: [{ id: "a" }, { id: "env" }] } } };
    expect(disableRules(config, ["a", "zzz"], origins)).toEqual({
      config: { filters: [{ id: "b" }], trimming: { small: { keep: [{ id: "env" }] } } },
      unknown: ["zzz"],
    });
  });
});
