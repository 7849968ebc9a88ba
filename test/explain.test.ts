import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { MessagesRequest } from "../src/translate/anthropic-types.js";
import type { OpenAIChatRequest } from "../src/translate/openai-types.js";
import type { Explanation } from "../src/pipeline/explain-request.js";
import { packageRoot } from "./helpers/config-tree.js";
import { runCli } from "./helpers/run-cli.js";
import { describeWithShared, hasSharedDir, sharedPath } from "./helpers/shared-dir.js";

// Runs the built CLI: `npm test` builds first (or run `npx tsc -p tsconfig.build.json`).
const FIXTURE = sharedPath("fixtures", "claude-code", "main-request-2plus2.json");
const exchange = hasSharedDir ? (JSON.parse(readFileSync(FIXTURE, "utf8")) as { body: MessagesRequest }) : undefined;
/** A minimal request: one user message, no system prompt, no tools. */
const ask = (text: string): MessagesRequest => ({ model: "claude-opus-4-8", max_tokens: 1024, messages: [{ role: "user", content: text }] });

/** A copy of the shipped config and its templates, so these runs compile into a folder of their own. */
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mallex-explain-"));
  cpSync(join(packageRoot, "mallex.yaml"), join(dir, "mallex.yaml"));
  cpSync(join(packageRoot, "templates"), join(dir, "templates"), { recursive: true });
  if (exchange) writeFileSync(join(dir, "bare.json"), JSON.stringify(exchange.body));
  writeFileSync(join(dir, "tiny.json"), JSON.stringify(ask("what is 2+2")));
  writeFileSync(join(dir, "hi.json"), JSON.stringify(ask("hi there")));
  writeFileSync(join(dir, "design.json"), JSON.stringify(ask("design the architecture of a job queue")));
  writeFileSync(join(dir, "broken.json"), '{"model": ');
  writeFileSync(join(dir, "list.json"), "[1, 2]");
  writeFileSync(join(dir, "invalid.json"), JSON.stringify({ model: "m", max_tokens: 1, messages: [{ role: "user" }] }));
});

// No API key unless a case gives one: routing to the Claude tier depends on it.
const explain = (args: string[], env: Record<string, string> = {}) => runCli(["explain", ...args], { cwd: dir, env: { ANTHROPIC_API_KEY: "", ...env } });

describeWithShared("mallex explain --json", () => {
  it("the contract: `mallex explain FILE --size small --json` on a captured exchange prints one JSON object", async () => {
    const result = await runCli(["explain", FIXTURE, "--size", "small", "--json"], { cwd: packageRoot });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    const out = JSON.parse(result.stdout) as Explanation;
    expect(out.profile).toBe("qwen2.5-coder-7b");
    expect(out.size).toBe("small");
    expect(out.before.chars).toBe(JSON.stringify(exchange!.body).length);
    expect(out.after.chars).toBe(JSON.stringify(out.upstream).length);
    expect(out.after.chars / out.before.chars).toBeLessThanOrEqual(0.06);
    expect(out.before.tokens).toBe(Math.ceil(out.before.chars / 3.5));
    const upstream = JSON.stringify(out.upstream);
    for (const kept of ["/home/dev/tiny-repo", "Keep answers short.", "what is 2+2"]) expect(upstream).toContain(kept);
    expect(out.rules[0]).toEqual({ rule: "billing-header", target: "system.0", charsRemoved: 74 });
    expect(out.rules.map((r) => r.rule)).toEqual(
      expect.arrayContaining(["agent-list", "skill-list", "claude-md-to-system", "relevance-disclaimer", "tool-allowlist", "system-template"]),
    );
    expect(Object.keys(out)).toEqual(
      ["profile", "size", "backend", "before", "after", "cut", "rules", "system", "tools", "user", "budgetTokens", "claudeCode", "upstream", "config"].filter(
        (k) => k in out,
      ),
    );
  });

  it("takes a bare request body the same way as an exchange", async () => {
    const [bare, wrapped] = await Promise.all([explain(["bare.json", "--size", "small", "--json"]), explain([FIXTURE, "--size", "small", "--json"])]);
    expect(bare.exitCode).toBe(0);
    expect(bare.stdout).toBe(wrapped.stdout);
  });

  it("--profile and --size pick the profile; medium keeps more; an Anthropic profile gets the request as it is", async () => {
    const medium = JSON.parse((await explain([FIXTURE, "--profile", "qwen3-coder-30b", "--json"])).stdout) as Explanation;
    expect(medium).toMatchObject({
      profile: "qwen3-coder-30b",
      size: "medium",
      system: { mode: "template", template: "system-medium", sections: ["harness", "environment", "git", "date"] },
    });
    expect(medium.after.chars).toBeGreaterThan(4000);
    const large = JSON.parse((await explain([FIXTURE, "--size", "large", "--json"])).stdout) as Explanation;
    expect(large.profile).toBe("qwen3-coder-next");
    expect((large.upstream as OpenAIChatRequest).tools).toHaveLength(24);
    const claude = JSON.parse((await explain([FIXTURE, "--profile", "claude-sonnet", "--json"])).stdout) as Explanation;
    expect(claude).toMatchObject({ backend: { kind: "anthropic" }, rules: [], upstream: { model: "claude-sonnet-4-6" } });
  });
});

describeWithShared("mallex explain (readable)", () => {
  it("prints the rules table, what was kept, the sizes and the upstream request", async () => {
    const result = await explain([FIXTURE, "--size", "small"]);
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toBe(`mallex explain ${FIXTURE} · profile qwen2.5-coder-7b (small, mlx-lm, native tools)`);
    expect(lines[1]).toMatch(/^config: \S+ \(/);
    expect(lines[3]).toMatch(/^ {2}rule +target +chars$/);
    expect(lines[4]).toMatch(/^ {2}billing-header +system\.0 +−74$/);
    expect(result.stdout).toMatch(/\n {2}tool-allowlist +tools\.Workflow +−20,823\n/);
    expect(result.stdout).toContain("\nSystem prompt: rendered from template system-small, keeping environment, git, date.\n");
    expect(result.stdout).toContain("\nClaude Code 2.1.197: every part of its request placed by a rule.\n");
    expect(result.stdout).toContain("\nTools (native mode): 4 offered: Bash, Edit, Read, Write.\n");
    expect(result.stdout).toMatch(
      /\nBefore {2}76,733 chars {2}~21,924 tokens {2}\(Claude Code's request\)\nAfter +\d,\d{3} chars +~\d{3} tokens {2}\(upstream request: 9\d\.\d% fewer characters\)\nCut {5}9\d\.\d% of Claude Code's own text; the user's text kept whole: \d+ chars \(/,
    );
    expect(result.stdout).toContain('\nUpstream request (POST /v1/chat/completions on backend mlx):\n{\n  "messages": [');
  });
});

describe("mallex explain errors: one sentence, a non-zero exit, no stack trace", () => {
  const cases: Array<[string, string[], number, string]> = [
    ["a missing file", ["nope.json"], 1, "cannot read nope.json: no such file"],
    ["a file that is not JSON", ["broken.json"], 1, "broken.json is not JSON: "],
    ["JSON that is no request", ["list.json"], 1, 'list.json holds neither an Anthropic Messages request nor a captured exchange with one under "body"'],
    ["an invalid request", ["invalid.json"], 1, "invalid.json is not a valid Messages API request: messages.0.content: Field required"],
    ["an unknown profile", ["tiny.json", "--profile", "nope"], 2, 'there is no profile "nope"; the config has qwen2.5-coder-7b, '],
    ["an unknown size", ["tiny.json", "--size", "huge"], 2, '--size must be one of small, medium, large, got "huge"'],
    [
      "a profile and a size that disagree",
      ["tiny.json", "--profile", "qwen3-coder-30b", "--size", "small"],
      2,
      "profile qwen3-coder-30b is medium, not small: give --profile or --size, not both",
    ],
  ];
  for (const [name, args, exitCode, message] of cases) {
    it(name, async () => {
      const result = await explain(args);
      expect(result.exitCode).toBe(exitCode);
      expect(result.stdout).toBe("");
      expect(result.stderr.split("\n")).toHaveLength(1);
      expect(result.stderr.startsWith(message)).toBe(true);
      expect(result.stderr).not.toMatch(/\bat .+:\d+:\d+/);
    });
  }
});

describe("mallex explain without --profile or --size: the profile the proxy would route the request to", () => {
  it("the default tier for a plain question, said in the output with the rule that picked it", async () => {
    const result = await explain(["tiny.json"]);
    expect(result.exitCode, result.stderr).toBe(0);
    const [header, config, route, blank] = result.stdout.split("\n");
    expect(header).toBe("mallex explain tiny.json · profile qwen3-coder-30b (medium, mlx-lm, native tools)");
    expect(config).toBe("config: mallex.yaml (this project's rules)");
    expect(route).toBe("Routed as the proxy would: default → medium (--profile or --size explains another profile)");
    expect(blank).toBe("");
  });

  it("an intent rule's tier, and the fallback when the Claude tier has no API key", async () => {
    const hi = JSON.parse((await explain(["hi.json", "--json"])).stdout) as Explanation & { route: unknown };
    expect(hi).toMatchObject({ profile: "qwen3-coder-30b", route: { tier: "low", reason: "intent chit_chat → low" } });
    const local = JSON.parse((await explain(["design.json", "--json"])).stdout) as Explanation & { route: unknown };
    expect(local).toMatchObject({ profile: "qwen3-coder-30b", route: { tier: "medium", reason: "intent hard_question → high → fallback medium" } });
    const claude = JSON.parse((await explain(["design.json", "--json"], { ANTHROPIC_API_KEY: "sk-ant-test" })).stdout) as Explanation & { route: unknown };
    expect(claude).toMatchObject({ profile: "claude-sonnet", backend: { kind: "anthropic" }, route: { tier: "high", reason: "intent hard_question → high" } });
  });

  it("--size still picks by size, and says nothing about routing", async () => {
    const result = await explain(["tiny.json", "--size", "small"]);
    expect(result.stdout.split("\n").slice(0, 3)).toEqual([
      "mallex explain tiny.json · profile qwen2.5-coder-7b (small, mlx-lm, native tools)",
      "config: mallex.yaml (this project's rules)",
      "",
    ]);
    expect(JSON.parse((await explain(["tiny.json", "--size", "small", "--json"])).stdout)).not.toHaveProperty("route");
  });
});

describe("mallex explain on a request with a client's own tools", () => {
  it("keeps an MCP tool the small allowlist does not name, lists it as a client tool, and drops the built-ins it leaves out", async () => {
    const schema = { type: "object", properties: { id: { type: "string" } }, required: ["id"] };
    const tools = ["Read", "mcp__tickets__lookup_ticket", "Agent"].map((name) => ({ name, description: `${name}.`, input_schema: schema }));
    writeFileSync(join(dir, "mcp.json"), JSON.stringify({ ...ask("what is the status of OPS-12?"), tools }));
    const result = await explain(["mcp.json", "--size", "small"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(
      "\nTools (native mode): 2 offered: Read, mcp__tickets__lookup_ticket.\nClient tools (not Claude Code's built-ins, kept unless a drop glob names them): mcp__tickets__lookup_ticket.\n",
    );
    expect(result.stdout).toMatch(/ {2}tool-allowlist +tools\.Agent +−\d+/);
    const json = JSON.parse((await explain(["mcp.json", "--size", "small", "--json"])).stdout) as Explanation;
    expect(json.tools).toEqual({ mode: "native", offered: ["Read", "mcp__tickets__lookup_ticket"], client: ["mcp__tickets__lookup_ticket"] });
  });
});

describe("mallex explain on a request trimming makes longer: a growth reads as one", () => {
  it("a rendered XML tools prompt is +N chars, and the sizes say % more, never a negative % fewer", async () => {
    const own = mkdtempSync(join(tmpdir(), "mallex-explain-"));
    writeFileSync(
      join(own, "mallex.yaml"),
      "include: [mallex]\nprofiles:\n  xml: { backend: mlx, model: test-model, size: small, tools: { mode: xml } }\ntiers:\n  low: { profile: xml }\n  medium: { profile: xml }\n  high: { profile: xml }\n",
    );
    const tools = [{ name: "get_weather", description: "Get the weather", input_schema: { type: "object", properties: { city: { type: "string" } } } }];
    writeFileSync(join(own, "weather.json"), JSON.stringify({ ...ask("weather in Paris?"), tools }));
    const result = await runCli(["explain", "weather.json"], { cwd: own, env: { ANTHROPIC_API_KEY: "" } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/\n {2}rule +target +chars\n {2}tools-prompt +tools +\+\d{3}\n {2}total +\+\d{3}\n/);
    expect(result.stdout).toMatch(/\(upstream request: \d+\.\d% more characters\)/);
    expect(result.stdout.split("\nUpstream request")[0]).not.toMatch(/-\d|−-|% fewer/);
  });
});
