import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileIn, compileTree, BASE, packageRoot } from "./helpers/config-tree.js";

const teamDir = fileURLToPath(new URL("./fixtures/team/", import.meta.url));

describe("include, override and disable with real rule files", () => {
  const { table, lines } = compileIn(teamDir, "mallex.yaml", { LOCAL_URL: "http://127.0.0.1:9999/v1" });

  it("compiles the layered config without a diagnostic", () => {
    expect(lines).toEqual([]);
    expect(table).toBeDefined();
  });

  it("resolves a published rule pack from node_modules through its package.json", () => {
    expect(table!.sources.map((s) => s.path)).toEqual([
      "../mallex.yaml",
      "../node_modules/@acme/mallex-rules/rules/base.yaml",
      "../rules/project.yaml",
      "../node_modules/@acme/mallex-rules/templates/acme-small.hbs",
    ]);
  });

  it("deep-merges maps: the including file wins key by key", () => {
    expect(table!.server.host).toBe("127.0.0.1"); // from the pack
    expect(table!.server.port).toBe(5151); // ${MALLEX_PORT:-5151} in the project, typed as a number
    expect(table!.routing.defaultTier).toBe("medium"); // only the pack says it
  });

  it("merges rule lists by id, later files winning field by field", () => {
    expect(table!.intents.map((i) => [i.id, i.route])).toEqual([
      ["greeting", { tier: "low" }], // the pack's rule, overridden by rules/project.yaml
      ["stuck", { escalate: 1 }],
      ["rename", { tier: "low" }],
    ]);
    expect(table!.intents[0]!.prompt).toEqual([{ source: "^(hi|hello|moin)\\b", flags: "i" }]);
    expect(table!.intents[0]!.maxChars).toBe(60);
    const billing = table!.filters.find((f) => f.id === "billing-header");
    expect(billing).toMatchObject({ priority: 500, action: "drop", where: ["system"], pattern: { source: "^x-anthropic-billing-header:", flags: "" } });
    expect(table!.trimming.small.keep.map((k) => k.id)).toEqual(["environment", "git"]);
  });

  it("removes disabled inherited rules", () => {
    expect(table!.filters.map((f) => f.id)).toEqual(["billing-header"]);
  });

  it("interpolates the environment but keeps secrets unresolved", () => {
    expect(table!.backends.local!.baseUrl).toBe("http://127.0.0.1:9999/v1");
    expect(table!.backends.local!.apiKey).toBe("${LOCAL_KEY}");
    expect(table!.env).toEqual(["LOCAL_URL", "MALLEX_PORT"]);
  });

  it("resolves a template relative to the rule file that declares it", () => {
    expect(table!.templates["acme-small"]).toEqual({
      source: "../node_modules/@acme/mallex-rules/templates/acme-small.hbs",
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it("changes the input hash when an environment value it read changes", () => {
    const other = compileIn(teamDir, "mallex.yaml", { LOCAL_URL: "http://127.0.0.1:9999/v1", MALLEX_PORT: "6000" });
    expect(other.table!.server.port).toBe(6000);
    expect(other.table!.hash).not.toBe(table!.hash);
    expect(compileIn(teamDir, "mallex.yaml", { LOCAL_URL: "http://127.0.0.1:9999/v1" }).table!.hash).toBe(table!.hash);
  });

  it("loads a file included twice through two paths (a diamond) once per path, without a cycle error", () => {
    const result = compileTree({
      "mallex.yaml": `include: [./a.yaml, ./b.yaml]\n${BASE}`,
      "a.yaml": "include: [./shared.yaml]\n",
      "b.yaml": "include: [./shared.yaml]\nserver: { port: 7000 }\n",
      "shared.yaml": "server: { port: 6000, host: 127.0.0.1 }\n",
    });
    expect(result.lines).toEqual([]);
    expect(result.table!.server.port).toBe(7000);
    expect(result.table!.sources.map((s) => s.path)).toEqual(["../mallex.yaml", "../a.yaml", "../shared.yaml", "../b.yaml"]);
  });

  it("includes mallex's shipped default by the name `mallex` and overrides one tier", () => {
    const result = compileTree({
      "mallex.yaml": "include: [mallex]\ntiers:\n  low: { profile: qwen2.5-coder-7b }\n",
    });
    expect(result.lines).toEqual([]);
    expect(result.table!.tiers.low).toEqual({ profile: "qwen2.5-coder-7b" });
    expect(result.table!.tiers.high).toEqual({ profile: "claude-sonnet", fallback: "medium" });
  });

  it("`mallex` is the shipped default even beside a folder or a file named mallex; `./mallex` is that file", () => {
    const config = "include: [mallex]\ntiers:\n  low: { profile: qwen2.5-coder-7b }\n";
    const shipped = join(packageRoot, "mallex.yaml");
    const includedBy = (result: ReturnType<typeof compileTree>) => result.table!.sources.map((s) => resolve(result.dir, "generated", s.path));
    const besides: Array<Record<string, string>> = [{ "mallex/README.md": "the project's own notes\n" }, { mallex: "server: { port: 7001 }\n" }];
    for (const beside of besides) {
      const result = compileTree({ "mallex.yaml": config, ...beside });
      expect(result.lines).toEqual([]);
      expect(includedBy(result)).toContain(shipped);
      expect(result.table!.tiers.high).toEqual({ profile: "claude-sonnet", fallback: "medium" });
      expect(result.table!.server.port).toBe(4141);
    }
    const local = compileTree({ "mallex.yaml": `include: [./mallex]\n${BASE}`, mallex: "server: { port: 7001 }\n" });
    expect(local.lines).toEqual([]);
    expect(includedBy(local)).not.toContain(shipped);
    expect(local.table!.server.port).toBe(7001);
  });
});
