import { describe, expect, it } from "vitest";
import { BASE, compileTree } from "./helpers/config-tree.js";

/**
 * Broken configs and the exact lines `mallex compile` prints for them: each names FILE:LINE:COL,
 * the problem and what to write instead. Files are written to a temp folder, so paths show relative.
 */
const cases: Array<{ name: string; files: Record<string, string>; env?: Record<string, string>; expected: string[] }> = [
  {
    name: "bad type",
    files: { "mallex.yaml": `${BASE}server:\n  port: "4141x"\n` },
    expected: ['mallex.yaml:8:9: error [schema-type] server.port must be integer, got string "4141x" (hint: write a whole number, without quotes)'],
  },
  {
    name: "unknown key with a suggestion",
    files: { "mallex.yaml": `${BASE}server:\n  prot: 4141\n` },
    expected: ['mallex.yaml:8:3: error [schema-unknown-key] unknown key "prot" in server (hint: did you mean "port"?)'],
  },
  {
    name: "missing required key",
    files: { "mallex.yaml": BASE.replace("tiers:", "  big: { backend: local, size: large }\ntiers:") },
    expected: ['mallex.yaml:5:3: error [schema-missing-key] profiles.big is missing required key "model" (hint: add model: …)'],
  },
  {
    name: "value outside an enum",
    files: { "mallex.yaml": BASE.replace("size: small", "size: tiny") },
    expected: ['mallex.yaml:4:53: error [schema-enum] profiles.small.size must be one of small, medium, large, got string "tiny"'],
  },
  {
    name: "unknown effort level in an intent",
    files: { "mallex.yaml": `${BASE}intents:\n  - id: quick\n    match: { effort: [low, hgih] }\n    tier: medium\n` },
    expected: [
      'mallex.yaml:9:28: error [schema-enum] intents[0].match.effort[1] must be one of low, medium, high, xhigh, max, got string "hgih" (hint: did you mean "high"?)',
    ],
  },
  {
    name: "unknown backend reference",
    files: { "mallex.yaml": BASE.replace("backend: local", "backend: locl") },
    expected: ['mallex.yaml:4:21: error [ref-backend-unknown] backend "locl" is not declared (hint: did you mean "local"?)'],
  },
  {
    name: "unknown profile reference",
    files: { "mallex.yaml": BASE.replace("medium: { profile: small }", "medium: { profile: smol }") },
    expected: ['mallex.yaml:6:22: error [ref-profile-unknown] profile "smol" is not declared (hint: did you mean "small"?)'],
  },
  {
    name: "unknown template reference",
    files: { "mallex.yaml": `${BASE}trimming:\n  small:\n    system_template: system-tiny\n` },
    expected: ['mallex.yaml:9:22: error [ref-template-unknown] template "system-tiny" is not declared (hint: declare it under templates:)'],
  },
  {
    name: "bad regex",
    files: { "mallex.yaml": `${BASE}filters:\n  - id: broken\n    where: [system]\n    pattern: 'billing(header'\n    action: drop\n` },
    expected: [
      "mallex.yaml:10:14: error [regex-invalid] invalid regex: /billing(header/: Unterminated group (hint: escape special characters such as ( [ { with a backslash)",
    ],
  },
  {
    name: "template syntax error",
    files: {
      "mallex.yaml": `${BASE}trimming:\n  small: { system_template: sys }\ntemplates:\n  sys: sys.hbs\n`,
      "sys.hbs": "Hello\n{{#if tools}}\n  tools\n{{/each}}\n",
    },
    expected: ["sys.hbs:2:4: error [template-syntax] if doesn't match each"],
  },
  {
    // Refused before Handlebars parses it (8,000 levels took its parser 56 s).
    name: "template nested past 100 levels",
    files: {
      "mallex.yaml": `${BASE}trimming:\n  small: { system_template: sys }\ntemplates:\n  sys: sys.hbs\n`,
      "sys.hbs": `You help.\n{{! {{#if not counted}} }}{{#if tools}}{{^}}{{/if}}\n${"{{#if tools}}".repeat(8000)}x${"{{/if}}".repeat(8000)}\n`,
    },
    expected: [
      "sys.hbs:3:1301: error [template-syntax] blocks nested deeper than 100 levels (hint: a prompt template needs a few levels; split it or flatten its blocks)",
    ],
  },
  {
    name: "template reads a variable the runtime does not provide",
    files: {
      "mallex.yaml": `${BASE}trimming:\n  small:\n    system_template: sys\n    keep:\n      - { id: environment, heading: Environment }\ntemplates:\n  sys: sys.hbs\n`,
      "sys.hbs": "You help.\n{{sections.environment}}\n{{sections.git}}\n{{#each tools}}- {{nme}}\n{{/each}}",
    },
    expected: [
      "sys.hbs:3:3: error [template-unknown-variable] {{sections.git}} is not provided to trimming.small system templates (hint: available here: environment)",
      "sys.hbs:4:20: error [template-unknown-variable] {{nme}} is not provided to trimming.small system templates (hint: available here: name, description)",
    ],
  },
  {
    name: "template reaches JavaScript's prototypes",
    files: {
      "mallex.yaml": `${BASE}trimming:\n  small:\n    system_template: sys\n    keep:\n      - { id: environment, heading: Environment }\ntemplates:\n  sys: sys.hbs\n`,
      "sys.hbs": "{{constructor}}\n{{sections.__proto__}}\n{{#each tools}}{{constructor.name}}{{/each}}\n{{#with sections}}{{toString}}{{/with}}",
    },
    expected: [
      'sys.hbs:1:3: error [template-unknown-variable] {{constructor}} reaches JavaScript\'s object prototype ("constructor"), which no template may read (hint: read only the variables mallex provides)',
      'sys.hbs:2:3: error [template-unknown-variable] {{sections.__proto__}} reaches JavaScript\'s object prototype ("__proto__"), which no template may read (hint: read only the variables mallex provides)',
      'sys.hbs:3:18: error [template-unknown-variable] {{constructor.name}} reaches JavaScript\'s object prototype ("constructor"), which no template may read (hint: read only the variables mallex provides)',
      "sys.hbs:4:21: error [template-unknown-variable] {{toString}} is not provided to trimming.small system templates (hint: available here: environment)",
    ],
  },
  {
    name: "a team rule whose regex needs backtracking",
    files: {
      "mallex.yaml": `include: [./team.yaml]\n${BASE}`,
      "team.yaml": `filters:\n  - { id: slow, where: [reminder], pattern: '(\\w+)\\s\\1', action: drop }\n  - { id: ahead, where: [reminder], pattern: 'foo(?=bar)', action: drop }\n`,
    },
    expected: [
      'team.yaml:2:45: error [regex-not-linear] regex "(\\\\w+)\\\\s\\\\1" cannot run in linear time: backreference \\1 needs a backtracking engine (hint: mallex runs rules with RE2 semantics (no backreferences or lookahead), so no input can freeze it; rewrite the pattern without them)',
      'team.yaml:3:46: error [regex-not-linear] regex "foo(?=bar)" cannot run in linear time: lookahead (?=…) needs a backtracking engine; match the text itself, or a character class of what may follow (hint: mallex runs rules with RE2 semantics (no backreferences or lookahead), so no input can freeze it; rewrite the pattern without them)',
    ],
  },
  {
    name: "template calls an unknown helper",
    files: {
      "mallex.yaml": `${BASE}trimming:\n  small: { system_template: sys }\ntemplates:\n  sys: sys.hbs\n`,
      "sys.hbs": "{{shout model.name}}\n",
    },
    expected: [
      'sys.hbs:1:3: error [template-unknown-helper] helper "shout" does not exist (hint: mallex provides: if, unless, each, with, lookup, json, eq, join, truncate, lines_with, lines_without, indent)',
    ],
  },
  {
    name: "include cycle",
    files: {
      "mallex.yaml": `include: [./rules/a.yaml]\n${BASE}`,
      "rules/a.yaml": "include: [./b.yaml]\n",
      "rules/b.yaml": "filters: []\ninclude:\n  - ./a.yaml\n",
    },
    expected: ["rules/b.yaml:3:5: error [include-cycle] include cycle: rules/a.yaml → rules/b.yaml → rules/a.yaml (hint: remove one of these includes)"],
  },
  {
    name: "error inside an included file",
    files: {
      "mallex.yaml": `include: [./team/rules.yaml]\n${BASE}`,
      "team/rules.yaml": "intents:\n  - id: chit_chat\n    match: { prompt: ['^hi'] }\n    tier: medium\n    priorty: 3\n",
    },
    expected: [
      'team/rules.yaml:5:5: error [schema-unknown-key] unknown key "priorty" in intents[0] (hint: allowed keys: id, description, match, tier, escalate)',
    ],
  },
  {
    name: "unset environment variable",
    files: { "mallex.yaml": `${BASE}server:\n  host: \${MALLEX_HOST}\n` },
    expected: [
      "mallex.yaml:8:9: error [env-unset] environment variable MALLEX_HOST is not set (hint: set MALLEX_HOST, or give a default: ${MALLEX_HOST:-value})",
    ],
  },
  {
    name: "malformed environment reference",
    files: { "mallex.yaml": `${BASE}server:\n  host: "127.0.0.\${OCTET"\n` },
    expected: ['mallex.yaml:8:18: error [env-syntax] unterminated "${" in "127.0.0.${OCTET" (hint: close it with }, or write $${ for a literal ${)'],
  },
  {
    name: "include that does not exist",
    files: { "mallex.yaml": `include:\n  - ./missing.yaml\n  - "@acme/not-installed"\n${BASE}` },
    expected: [
      'mallex.yaml:2:5: error [include-not-found] included file "./missing.yaml" does not exist (hint: include paths are relative to the file that includes them)',
      'mallex.yaml:3:5: error [include-not-found] cannot find rule pack "@acme/not-installed": no such file next to this config and no installed package (hint: install it (npm i -D @acme/not-installed); for a file, start the path with ./)',
    ],
  },
  {
    name: "disable names an id nothing defines",
    files: {
      "mallex.yaml": `include: [./rules.yaml]\ndisable: [billing-header, bilingheader]\n${BASE}`,
      "rules.yaml": "filters:\n  - { id: billing-header, where: [system], pattern: '^x-anthropic', action: drop }\n",
    },
    expected: [
      'mallex.yaml:2:27: error [disable-unknown-id] disable names "bilingheader", but no included file defines a rule with that id (hint: check the id against the included rule files)',
    ],
  },
  {
    name: "YAML syntax error",
    files: { "mallex.yaml": `${BASE}server:\n  port: [4141\n` },
    expected: [
      "mallex.yaml:9:1: error [yaml-syntax] Flow sequence in block collection must be sufficiently indented and end with a ] (hint: fix the YAML syntax at this position)",
    ],
  },
  {
    name: "duplicate key",
    files: { "mallex.yaml": `${BASE}server:\n  port: 1\n  port: 2\n` },
    expected: ["mallex.yaml:9:3: error [yaml-syntax] Map keys must be unique (hint: fix the YAML syntax at this position)"],
  },
  {
    name: "unreachable tier",
    files: { "mallex.yaml": `${BASE}  high: { profile: small }\nrouting: { escalate_on_stall: false }\n` },
    expected: [
      "mallex.yaml:7:3: error [tier-unreachable] tier high is unreachable: no default_tier, model rule, intent, escalation or fallback leads to it (hint: route to it (an intent with tier: high, a routing.models rule, an escalate intent) or remove it)",
    ],
  },
  {
    name: "fallback cycle",
    files: {
      "mallex.yaml": BASE.replace("medium: { profile: small }", "medium: { profile: small, fallback: low }\n  low: { profile: small, fallback: medium }"),
    },
    expected: ["mallex.yaml:7:36: error [tier-fallback-cycle] tier fallbacks loop: low → medium → low (hint: end the chain at a tier without fallback)"],
  },
  {
    name: "intent with both tier and escalate",
    files: { "mallex.yaml": `${BASE}intents:\n  - id: again\n    match: { prompt: ['again'] }\n    tier: medium\n    escalate: 1\n` },
    expected: [
      'mallex.yaml:8:5: error [schema-missing-key] intent "again" needs exactly one of tier or escalate (hint: write tier: low|medium|high, or escalate: 1)',
    ],
  },
  {
    name: "template file missing",
    files: { "mallex.yaml": `${BASE}trimming:\n  small: { system_template: sys }\ntemplates:\n  sys: templates/nope.hbs\n` },
    expected: [
      "mallex.yaml:10:8: error [template-not-found] template file templates/nope.hbs does not exist (hint: template paths are relative to the file that declares them (mallex.yaml))",
    ],
  },
  {
    name: "xml tool mode without a tool template",
    files: { "mallex.yaml": BASE.replace("size: small }", "size: small, tools: { mode: xml } }") },
    expected: [
      'mallex.yaml:4:75: error [profile-tools-template-missing] profile "small" uses xml tool mode, but tools.small names no template (hint: add tools: { small: { template: tools-xml } })',
    ],
  },
  {
    name: "a worked example with no format to write it in",
    files: { "mallex.yaml": BASE.replace("size: small }", "size: small, tools: { worked_example: true } }") },
    expected: [
      'mallex.yaml:4:85: error [profile-worked-example-format] profile "small" shows a worked example, but in native tool mode tools.format auto names no format to write it in (hint: set tools.format to the format the model writes calls in: hermes or qwen3-coder)',
    ],
  },
  {
    name: "a worked example in a format none is written in",
    files: { "mallex.yaml": BASE.replace("size: small }", "size: small, tools: { format: glm45, worked_example: true } }") },
    expected: [
      'mallex.yaml:4:100: error [profile-worked-example-format] profile "small" shows a worked example, but none is written in tools.format glm45 (hint: set tools.format to the format the model writes calls in: hermes or qwen3-coder)',
    ],
  },
  {
    name: "embedded engine backend without a supervise block",
    files: { "mallex.yaml": BASE.replace("profiles:", "  engine:\n    kind: openai\n    flavor: embedded\nprofiles:") },
    expected: [
      'mallex.yaml:5:13: error [backend-embedded-unsupervised] backend "engine" is mallex\'s embedded engine, which mallex must start, but it has no supervise: block (hint: add supervise: { command: "{mallex} engine --model {model} --host {host} --port {port}" })',
    ],
  },
  {
    name: "exo backend with a supervise block",
    files: { "mallex.yaml": BASE.replace("profiles:", '  cluster:\n    kind: openai\n    flavor: exo\n    supervise: { command: "exo" }\nprofiles:') },
    expected: [
      'mallex.yaml:6:5: error [backend-exo-supervised] backend "cluster" is an exo cluster, which mallex attaches to, but it has a supervise: block (hint: remove supervise: and set base_url: to exo\'s API (http://HOST:52415/v1); start exo on each machine yourself)',
    ],
  },
  {
    name: "several errors at once, in file order",
    files: { "mallex.yaml": `${BASE.replace("size: small", "size: huge").replace("kind: openai", "kind: opnai")}observability: { log_level: loud }\n` },
    expected: [
      'mallex.yaml:2:18: error [schema-enum] backends.local.kind must be one of openai, anthropic, got string "opnai" (hint: did you mean "openai"?)',
      'mallex.yaml:4:53: error [schema-enum] profiles.small.size must be one of small, medium, large, got string "huge"',
      'mallex.yaml:7:29: error [schema-enum] observability.log_level must be one of debug, info, warn, error, silent, got string "loud"',
    ],
  },
];

describe("mallex compile on broken configs", () => {
  it.each(cases)("$name", ({ files, env, expected }) => {
    const result = compileTree(files, env);
    expect(result.files).toBeUndefined();
    expect(result.lines).toEqual(expected);
  });
});

describe("mallex compile on a tool policy that names what allow does not act on", () => {
  it("warns for each allow entry that is not a Claude Code built-in (a misspelling gets a suggestion), and still compiles", () => {
    const result = compileTree({ "mallex.yaml": `${BASE}tools:\n  small: { allow: [Read, Wirte, mcp__github__create_issue], drop: ["mcp__slack__*"] }\n` });
    expect(result.files).toBeDefined();
    expect(result.lines).toEqual([
      'mallex.yaml:8:26: warning [tools-allow-not-builtin] tools.small.allow names "Wirte", which is not one of Claude Code\'s built-in tools: allow acts on those only, and every other tool is kept (hint: did you mean "Write"?)',
      'mallex.yaml:8:33: warning [tools-allow-not-builtin] tools.small.allow names "mcp__github__create_issue", which is not one of Claude Code\'s built-in tools: allow acts on those only, and every other tool is kept (hint: remove it (it is kept anyway), or remove the tool with drop: ["mcp__github__create_issue"])',
    ]);
    expect(result.table?.tools.small).toMatchObject({
      allow: ["Read", "Wirte", "mcp__github__create_issue"],
      drop: [{ glob: "mcp__slack__*", pattern: { source: "^mcp__slack__.*$", flags: "i" } }],
      stubClientDescriptions: false,
    });
  });
});
