import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import Handlebars from "handlebars";
import { describe, expect, it } from "vitest";
import { templateHelpers } from "../src/compile/template-helpers.js";
import { compileIn, compileDocsExample, compileTree, packageRoot, writeTree, BASE } from "./helpers/config-tree.js";
import { runCli } from "./helpers/run-cli.js";

describe("the shipped default config", () => {
  const result = compileIn(packageRoot);

  it("compiles with no error and no warning", () => {
    expect(result.lines).toEqual([]);
  });

  it("is what generated/ holds (generated/ is not stale)", () => {
    for (const [name, content] of Object.entries(result.files!)) {
      expect(readFileSync(join(packageRoot, "generated", name), "utf8"), `generated/${name}`).toBe(content);
    }
  });

  it("routes the way its comments say", () => {
    const table = result.table!;
    expect(table.tiers).toEqual({
      low: { profile: "qwen3-coder-30b" },
      medium: { profile: "qwen3-coder-30b" },
      high: { profile: "claude-sonnet", fallback: "medium" },
    });
    expect(table.routing.defaultTier).toBe("medium");
    expect(table.routing.models).toEqual([{ glob: "*haiku*", pattern: { source: "^.*haiku.*$", flags: "i" }, tier: "low" }]);
    expect(table.intents.map((i) => i.id)).toEqual([
      "effort_low",
      "effort_max",
      "chit_chat",
      "try_again",
      "hard_question",
      "simple_code",
      "run_command",
      "code_edit",
    ]);
    expect(table.filters.map((f) => [f.id, f.priority])).toEqual([
      ["billing-header", 100],
      ["attribution", 90],
      ["agent-list", 50],
      ["skill-list", 50],
      ["deferred-tool-list", 50],
      ["deferred-tool-list-short", 49],
      ["mcp-instructions", 49],
      ["connecting-mcp-servers", 49],
      ["plan-mode", 48],
      ["plan-mode-exit", 47],
      ["plan-mode-repeat", 47],
      ["model-identity", 45],
      ["shell-first-note", 44],
      ["claude-md", 40],
      ["hook-output", 40],
      ["context-intro", 38],
      ["claude-md-label", 37],
      ["claude-md-source", 36],
      ["claude-md-preamble", 35],
      ["relevance-disclaimer", 30],
      ["token-budget", 25],
      ["task-nag", 20],
    ]);
    // The lists for Claude Code's agents, skills and deferred tools go where those tools do.
    expect(table.filters.filter((f) => f.unlessOffered).map((f) => [f.id, f.unlessOffered])).toEqual([
      ["agent-list", ["Agent"]],
      ["skill-list", ["Skill"]],
      ["deferred-tool-list", ["ToolSearch"]],
      // Plan mode's instructions end with ExitPlanMode's call only where it is offered.
      ["plan-mode", ["ExitPlanMode"]],
    ]);
    expect(table.backends.anthropic!.apiKey).toBe("${ANTHROPIC_API_KEY}");
    expect(
      Object.values(table.profiles)
        .map((p) => p.minRamGb)
        .filter(Boolean),
    ).toEqual([8, 16, 32, 48, 64, 128, 4, 8, 16, 32]);
    // The embedded engine's GGUF profiles: each allocates a KV cache that holds its budget and its answer.
    expect(table.backends.embedded).toMatchObject({
      kind: "openai",
      flavor: "embedded",
      supervise: { command: "{mallex} engine --model {model} --host {host} --port {port}" },
    });
    for (const profile of Object.values(table.profiles).filter((p) => p.backend === "embedded")) {
      expect(profile.engine!.contextSize, profile.name).toBeGreaterThanOrEqual(profile.inputBudget! + profile.maxOutputTokens);
    }
  });

  it("leaves the tool-call format to auto-detection on every profile, and `format: auto` means the same", () => {
    // --backend-url may point at a server running any family: no shipped profile narrows the parser.
    expect(Object.values(result.table!.profiles).filter((p) => p.toolFormat !== undefined)).toEqual([]);
    const explicit = compileTree({ "mallex.yaml": BASE.replace("size: small }", "size: small, tools: { format: auto } }") });
    expect(explicit.lines).toEqual([]);
    expect(explicit.table!.profiles.small!.toolFormat).toBeUndefined();
    const named = compileTree({ "mallex.yaml": BASE.replace("size: small }", "size: small, tools: { format: minimax-m2 } }") });
    expect(named.table!.profiles.small!.toolFormat).toBe("minimax-m2");
  });

  it("bounds the prompt by a declared context_window as by a discovered one: 75% of it, or a smaller input_budget", () => {
    // Before: a profile with context_window 32768 and no input_budget sent a 571,000-token prompt to its server.
    const budget = (extra: string) => compileTree({ "mallex.yaml": BASE.replace("size: small }", `size: small${extra} }`) }).table!.profiles.small!.inputBudget;
    expect(budget(", context_window: 32768")).toBe(24_576);
    expect(budget(", context_window: 8192, input_budget: 9000")).toBe(6144);
    expect(budget(", context_window: 8192, input_budget: 4000")).toBe(4000);
    expect(budget(", input_budget: 4000")).toBe(4000);
    expect(budget("")).toBeUndefined();
  });

  it("compiles every regex it declares", () => {
    const table = result.table!;
    const regexes = [
      ...table.intents.flatMap((i) => [...i.prompt, ...i.notPrompt]),
      ...table.filters.map((f) => f.pattern),
      ...Object.values(table.trimming).flatMap((t) => t.keep.flatMap((k) => (k.pattern ? [k.pattern] : []))),
    ];
    expect(regexes.length).toBeGreaterThan(8);
    for (const { source, flags } of regexes) expect(() => new RegExp(source, flags)).not.toThrow();
  });

  it("writes templates.mjs whose precompiled templates render with the runtime helpers", async () => {
    const dir = writeTree({});
    writeFileSync(join(dir, "templates.mjs"), result.files!["templates.mjs"]!);
    const specs = (await import(pathToFileURL(join(dir, "templates.mjs")).href)).default as Record<string, TemplateSpecification>;
    expect(Object.keys(specs)).toEqual(["system-small", "system-medium", "session-context", "tools-xml", "classifier"]);
    const env = Handlebars.create();
    env.registerHelper(templateHelpers);
    const tools = env.template(specs["tools-xml"]!);
    const text = tools({
      format: "mallex-xml",
      tools: [
        {
          name: "Write",
          description: "Writes a file.",
          parameters: [{ name: "file_path", type: "string", required: true, description: "Absolute path <here>" }],
        },
      ],
    });
    expect(text).toContain('<invoke name="TOOL_NAME">');
    expect(text).toContain("## Write\nWrites a file.\nArguments:\n- file_path (string, required): Absolute path <here>\n");
    const context = { sections: { environment: " - Primary working directory: /repo" }, tools_prompt: "" };
    expect(env.template(specs["session-context"]!)(context)).toContain(" - Primary working directory: /repo\n");
    expect(env.template(specs["system-small"]!)(context)).not.toContain("/repo");
  });
});

type TemplateSpecification = Parameters<typeof Handlebars.template>[0];

describe("mallex compile (the CLI)", () => {
  it("writes generated/ next to the config, byte-identical when run twice", async () => {
    const dir = writeTree({ "mallex.yaml": BASE });
    const first = await runCli(["compile"], { cwd: dir });
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toMatch(/^✓ compiled mallex\.yaml \(this project's rules\) → generated\/ in \d+ ms \(hash [0-9a-f]{12}\)$/);
    const read = () => Object.fromEntries(readdirSync(join(dir, "generated")).map((f) => [f, readFileSync(join(dir, "generated", f), "utf8")]));
    const before = read();
    expect(Object.keys(before).sort()).toEqual(["routing-table.json", "templates.mjs"]);
    expect((await runCli(["compile"], { cwd: dir })).exitCode).toBe(0);
    expect(read()).toEqual(before);
  });

  it("--config and --out pick the files; --check fails on a stale folder and writes nothing", async () => {
    const dir = writeTree({ "conf/team.yaml": BASE });
    expect((await runCli(["compile", "--config", "conf/team.yaml", "--out", "out"], { cwd: dir })).exitCode).toBe(0);
    const check = await runCli(["compile", "--config", "conf/team.yaml", "--out", "out", "--check"], { cwd: dir });
    expect(check.exitCode).toBe(0);
    expect(check.stdout).toMatch(/^✓ out\/ is up to date/);
    writeFileSync(join(dir, "conf/team.yaml"), BASE.replace("test-model", "other-model"));
    const stale = await runCli(["compile", "--config", "conf/team.yaml", "--out", "out", "--check"], { cwd: dir });
    expect(stale.exitCode).toBe(1);
    expect(stale.stderr).toBe("✗ out/ is stale (routing-table.json, templates.mjs): run `mallex compile`");
    expect(readFileSync(join(dir, "out/routing-table.json"), "utf8")).toContain('"model": "test-model"');
  });

  it("exits non-zero on an invalid config with FILE:LINE:COL lines and no stack trace", async () => {
    const dir = writeTree({ "bad.yaml": `${BASE}server:\n  port: high\n  hots: 0.0.0.0\n` });
    const result = await runCli(["compile", "--config", "bad.yaml"], { cwd: dir });
    expect(result.exitCode).toBe(1);
    expect(result.stderr.split("\n")).toEqual([
      'bad.yaml:8:9: error [schema-type] server.port must be integer, got string "high" (hint: write a whole number, without quotes)',
      'bad.yaml:9:3: error [schema-unknown-key] unknown key "hots" in server (hint: did you mean "host"?)',
      "✗ bad.yaml: 2 errors, nothing written",
    ]);
    expect(result.stdout).toBe("");
  });

  it("says clearly when the config file does not exist", async () => {
    const result = await runCli(["compile", "--config", "nope.yaml"], { cwd: writeTree({}) });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      "nope.yaml:1:1: error [config-not-found] config file nope.yaml does not exist (hint: check the path, or run `mallex init` to write one)\n✗ nope.yaml: 1 error, nothing written",
    );
  });

  it("says clearly when the output folder cannot be written, and leaves no temporary file", async () => {
    const dir = writeTree({ "mallex.yaml": BASE, "taken/generated": "a file, not a folder\n" });
    const result = await runCli(["compile", "--out", "taken/generated/sub"], { cwd: dir });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /^✗ could not write taken\/generated\/sub\/ \(ENOTDIR: not a directory, mkdir '.*'\): choose a folder you can write with --out$/,
    );
    expect(result.stdout).toBe("");
    expect(readdirSync(join(dir, "taken"))).toEqual(["generated"]);
  });

  it("falls back to the shipped default outside a project, and every command has --help", async () => {
    const dir = writeTree({});
    const check = await runCli(["compile", "--check"], { cwd: dir });
    expect(check.exitCode).toBe(0);
    expect(check.stdout).toMatch(/is up to date/);
    for (const command of ["compile", "proxy", "run", "server", "init", "doctor", "explain"]) {
      const help = await runCli([command, "--help"]);
      expect(help.exitCode, command).toBe(0);
      expect(help.stdout, command).toContain(`mallex ${command}`);
    }
    // --config's default names the layers findConfigLayers merges: this machine's settings, the folder's rules on top.
    for (const command of ["proxy", "run", "eval", "explain", "doctor", "compile"]) {
      expect((await runCli([command, "--help"])).stdout.replace(/\s+/g, " "), command).toContain(
        "Config file, used alone (default: this machine's settings, $MALLEX_HOME/mallex.yaml (~/.mallex) else mallex's default, with ./mallex.yaml's rules on top)",
      );
    }
    const unknown = await runCli(["compiel"]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toBe('mallex: unknown command "compiel" (did you mean `mallex compile`? `mallex --help` lists the commands)');
  });
});

describe("the pool example of docs/several-machines.md", () => {
  it("compiles, and its backend lists both servers", () => {
    const result = compileDocsExample("docs/several-machines.md", "**Pools.**");
    expect(result.lines).toEqual([]);
    expect(result.table?.backends.mlx).toMatchObject({
      baseUrl: "http://studio-1.local:8080/v1",
      urls: ["http://studio-1.local:8080/v1", "http://studio-2.local:8080/v1"],
    });
    expect(result.table?.backends.mlx!.pool).toEqual({ allowedFails: 2, cooldownMs: 30_000, probeIntervalMs: 2_000, moveMargin: 4, moveRatio: 2 });
  });

  it("and its exo example compile, with the backend's flavor and timeout", () => {
    const result = compileDocsExample("docs/several-machines.md", "**exo.**");
    expect(result.lines).toEqual([]);
    expect(result.table?.backends.cluster).toMatchObject({ kind: "openai", flavor: "exo", baseUrl: "http://studio-1.local:52415/v1", timeoutMs: 120_000 });
    expect(result.table?.profiles.kimi).toMatchObject({ backend: "cluster", model: "mlx-community/Kimi-K2-Instruct-4bit" });
  });

  it("its mlx distributed example compiles, the hostfile beside the config", () => {
    const result = compileDocsExample("docs/several-machines.md", "**mlx distributed.**");
    expect(result.lines).toEqual([]);
    expect(result.table?.backends.cluster?.supervise?.distributed).toEqual({
      hostfile: join(result.dir, "mlx-hosts.json"),
      backend: "ring",
      pipeline: true,
      launcher: "{venv}/bin/mlx.launch",
    });
  });

  it("refuses urls beside base_url or supervise", () => {
    const both = compileTree({ "mallex.yaml": BASE.replace('base_url: "http://127.0.0.1:8080/v1"', 'base_url: "http://a:1/v1", urls: ["http://b:1/v1"]') });
    expect(both.lines.join("\n")).toMatch(/backend "local" has urls, which only an openai backend without base_url and supervise may have/);
  });
});

describe("a pool: block", () => {
  const pooled = (pool: string) =>
    BASE.replace(
      'local: { kind: openai, base_url: "http://127.0.0.1:8080/v1" }',
      `local:\n    kind: openai\n    urls: ["http://a:1/v1", "http://b:1/v1"]\n    pool:\n${pool}`,
    );

  it("compiles into the routing table in ms, the fields not written taking their defaults", () => {
    const result = compileTree({ "mallex.yaml": pooled("      allowed_fails: 3\n      cooldown_s: 1.5\n      move_ratio: 1.5\n") });
    expect(result.lines).toEqual([]);
    expect(result.table!.backends.local!.pool).toEqual({ allowedFails: 3, cooldownMs: 1500, probeIntervalMs: 2000, moveMargin: 4, moveRatio: 1.5 });
    const none = compileTree({ "mallex.yaml": pooled("      probe_interval_s: 0\n") });
    expect(none.table!.backends.local!.pool!.probeIntervalMs).toBe(0);
    expect(compileTree({ "mallex.yaml": BASE }).table!.backends.local!.pool).toBeUndefined();
  });

  it("has the defaults the pools use when it is absent", async () => {
    const { POOL_DEFAULTS } = await import("../src/backends/pool/backend-pool.js");
    const { POOL_BALANCE_DEFAULTS } = await import("../src/backends/pool/pick-pool-server.js");
    const result = compileTree({ "mallex.yaml": pooled("      {}\n") });
    expect(result.table!.backends.local!.pool).toEqual({
      allowedFails: POOL_DEFAULTS.failureThreshold,
      cooldownMs: POOL_DEFAULTS.coolDownMs,
      probeIntervalMs: POOL_DEFAULTS.probeIntervalMs,
      moveMargin: POOL_BALANCE_DEFAULTS.absolute,
      moveRatio: POOL_BALANCE_DEFAULTS.relative,
    });
  });

  it("names the file, line and column of a bad value", () => {
    expect(compileTree({ "mallex.yaml": pooled("      allowed_fails: 0\n") }).lines).toEqual([
      "mallex.yaml:6:22: error [schema-value] backends.local.pool.allowed_fails must be >= 1",
    ]);
    expect(compileTree({ "mallex.yaml": pooled("      cooldown: 5\n") }).lines[0]).toMatch(
      /^mallex\.yaml:6:7: error \[schema-unknown-key\] unknown key "cooldown" in backends\.local\.pool \(hint: did you mean "cooldown_s"\?\)/,
    );
  });

  it("is refused on a backend with one server", () => {
    const single = compileTree({
      "mallex.yaml": BASE.replace('base_url: "http://127.0.0.1:8080/v1" }', 'base_url: "http://127.0.0.1:8080/v1", pool: { cooldown_s: 5 } }'),
    });
    expect(single.lines).toEqual([
      'mallex.yaml:2:64: error [backend-pool-without-urls] backend "local" has pool: but no urls:, so it has one server to share (hint: list its servers in urls: (instead of base_url:), or remove pool:)',
    ]);
  });
});
