// `node bench/regex-engines.js`: the shipped rules' regexes (mallex.yaml's filters, intents and keep
// patterns) in each candidate engine, on Claude Code's captured request and on 1 MB adversarial inputs.
// Engines other than V8's and re2js (mallex's) are optional: `npm i --no-save re2-wasm re2` to add them.
// V8's linear engine needs a V8 flag; it is set here at run time, which mallex itself never does.
// `node bench/regex-engines.js re2js` measures only the engines whose name starts so.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { parse } from "yaml";
import { ms } from "./stats.js";

const root = fileURLToPath(new URL("..", import.meta.url));

/** @typedef {{ id: string; source: string; flags: string; replacement?: string; where?: string[] }} ShippedPattern */

/** Every regex mallex.yaml ships, with what it runs on. */
export function shippedPatterns() {
  const config = parse(readFileSync(`${root}mallex.yaml`, "utf8"), { merge: true, maxAliasCount: 100 });
  /** @type {ShippedPattern[]} */
  const out = [];
  for (const filter of config.filters ?? [])
    out.push({
      id: `filter ${filter.id}`,
      source: filter.pattern,
      flags: filter.flags ?? "",
      replacement: filter.action === "replace" ? (filter.replacement ?? "") : undefined,
      where: filter.where,
    });
  for (const intent of config.intents ?? []) {
    const flags = intent.match?.flags ?? "i";
    for (const source of [...(intent.match?.prompt ?? []), ...(intent.match?.not_prompt ?? [])]) out.push({ id: `intent ${intent.id}`, source, flags });
  }
  const seen = new Set();
  for (const size of ["small", "medium", "large"]) {
    for (const rule of config.trimming?.[size]?.keep ?? []) {
      if (rule.pattern === undefined || seen.has(rule.pattern)) continue;
      seen.add(rule.pattern);
      out.push({ id: `keep ${rule.id}`, source: rule.pattern, flags: rule.flags ?? "" });
    }
  }
  return out;
}

/** Each engine as: compile(source, flags) → { test(text), replace(text, replacement) }, or a reason it cannot. */
async function loadEngines() {
  /**
   * @type {({ name: string; missing: true } | {
   *   name: string; missing?: false; adversarialBytes?: number;
   *   compile: (source: string, flags: string) => { test: (text: string) => boolean; replace: (text: string, replacement: string) => string };
   * })[]}
   */
  const engines = [{ name: "V8 `RegExp` (backtracking)", compile: (source, flags) => native(new RegExp(source, flags)) }];
  setFlagsFromString("--enable-experimental-regexp-engine");
  engines.push({ name: "V8 linear engine (`l` flag)", compile: (source, flags) => native(new RegExp(source, `${flags}l`)) });
  const { RE2JS } = await import("re2js");
  engines.push({
    name: "re2js (pure JS)",
    compile: (source, flags) => {
      let bits = 0;
      if (flags.includes("i")) bits |= RE2JS.CASE_INSENSITIVE;
      if (flags.includes("m")) bits |= RE2JS.MULTILINE;
      if (flags.includes("s")) bits |= RE2JS.DOTALL;
      const re = RE2JS.compile(source, bits);
      return { test: (text) => re.test(text), replace: (text, replacement) => re.matcher(text).replaceAll(replacement) };
    },
  });
  // Optional packages, not dependencies of mallex: imported by name, where they are installed.
  const importOptional = (name) => import(name);
  /** @type {[string, () => Promise<any>][]} */
  const optional = [
    ["re2-wasm (RE2 in WebAssembly)", async () => (await importOptional("re2-wasm")).RE2],
    ["re2 (native addon)", async () => (await importOptional("re2")).default],
  ];
  for (const [name, load] of optional) {
    try {
      const RE2 = await load();
      const unicode = name.startsWith("re2-wasm") ? "u" : "";
      // re2-wasm copies the whole string into WebAssembly memory on every call, once per match in a
      // global replace: quadratic in practice, so it gets 100 KB adversarial inputs, not 1 MB.
      engines.push({ name, compile: (source, flags) => native(new RE2(source, `${flags}${unicode}`)), adversarialBytes: unicode ? 100_000 : undefined });
    } catch {
      engines.push({ name, missing: true });
    }
  }
  return engines;
}

function native(re) {
  const test = new RegExp(re.source, re.flags.replace(/[gy]/g, ""));
  const all = new RegExp(re.source, `${re.flags.replace(/[gy]/g, "")}g`);
  if (re.constructor !== RegExp) {
    const Engine = re.constructor;
    const once = new Engine(re.source, re.flags.replace(/[gy]/g, ""));
    const every = new Engine(re.source, `${re.flags.replace(/[gy]/g, "")}g`);
    return { test: (text) => once.test(text), replace: (text, replacement) => text.replace(every, replacement) };
  }
  return { test: (text) => test.test(text), replace: (text, replacement) => text.replace(all, replacement) };
}

/** The texts a Claude Code request gives the rules: system blocks, reminders, user texts, tool results. */
function requestUnits(file) {
  const request = JSON.parse(readFileSync(file, "utf8")).body;
  const units = [];
  const system = typeof request.system === "string" ? [{ text: request.system }] : (request.system ?? []);
  for (const block of system) units.push(block.text);
  for (const message of request.messages) {
    const blocks = typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content;
    for (const block of blocks) {
      const text = block.type === "text" ? block.text : block.type === "tool_result" && typeof block.content === "string" ? block.content : undefined;
      if (text === undefined) continue;
      units.push(text);
      for (const match of text.matchAll(/<system-reminder>([\s\S]*?)<\/system-reminder>/g)) units.push(match[1]);
    }
  }
  return units;
}

/** 1 MB inputs (or `size`) that make a backtracking engine try every start: runs of spaces, the pattern's own start repeated. */
export function adversarialInputs(pattern, size = 1 << 20) {
  const repeat = (unit) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
  const literal = /[A-Za-z][A-Za-z ':,-]{3,}/.exec(pattern.source.replace(/\\[a-z]/gi, " "))?.[0] ?? "a";
  return [
    ["spaces", repeat(" ")],
    ["the pattern's prefix", repeat(`${literal}`)],
    ["near-matches", repeat(`${literal.slice(0, -1)} \n`)],
    ["words and spaces", repeat("word ")],
  ];
}

function timeIt(fn, minMs = 200) {
  let runs = 0;
  const started = performance.now();
  do {
    fn();
    runs += 1;
  } while (performance.now() - started < minMs && runs < 1000);
  return (performance.now() - started) / runs;
}

/** @param {{ fixture?: string; v8AdversarialBytes?: number; onRow?: (row: string) => void; only?: string }} [options] */
export async function benchRegexEngines({
  fixture = fileURLToPath(new URL("../../shared/fixtures/claude-code/main-request-sonnet-4-6-full-prompt.json", import.meta.url)),
  v8AdversarialBytes = 20_000,
  onRow,
  only,
} = {}) {
  const patterns = shippedPatterns();
  const units = requestUnits(fixture);
  const engines = await loadEngines();
  const lines = [
    `| engine | compiles (of ${patterns.length} shipped) | compile all | every rule over Claude Code's request (${Math.round(units.reduce((n, u) => n + u.length, 0) / 1024)} KB in ${units.length} units) | worst rule on 1 MB adversarial input |`,
    "|---|---|---|---|---|",
  ];
  for (const engine of engines) {
    if (only !== undefined && !engine.name.startsWith(only)) continue;
    if (engine.missing) {
      lines.push(`| ${engine.name} | not installed | | | |`);
      continue;
    }
    const compiled = [];
    const refused = [];
    for (const pattern of patterns) {
      try {
        compiled.push({ pattern, re: engine.compile(pattern.source, pattern.flags) });
      } catch (error) {
        refused.push(`${pattern.id}: ${(error instanceof Error ? error.message : String(error)).slice(0, 60)}`);
      }
    }
    const compileMs = timeIt(() =>
      patterns.forEach((p) => {
        try {
          engine.compile(p.source, p.flags);
        } catch {
          /* counted above */
        }
      }),
    );
    const requestMs = timeIt(() => {
      for (const { pattern, re } of compiled) {
        for (const unit of units) if (re.test(unit) && pattern.replacement !== undefined) re.replace(unit, pattern.replacement);
      }
    });
    const backtracking = engine.name.startsWith("V8 `RegExp`");
    const bytes = backtracking ? v8AdversarialBytes : (engine.adversarialBytes ?? 1 << 20);
    let worst = { ms: 0, what: "" };
    for (const { pattern, re } of compiled) {
      for (const [kind, input] of adversarialInputs(pattern)) {
        const text = input.slice(0, bytes);
        const started = performance.now();
        if (re.test(text) && pattern.replacement !== undefined) re.replace(text, pattern.replacement);
        const took = performance.now() - started;
        if (took > worst.ms) worst = { ms: took, what: `${pattern.id}, ${kind}` };
      }
    }
    const scale = ((1 << 20) / bytes) ** 2;
    const worstCell =
      bytes < 1 << 20
        ? `${ms(worst.ms)} at ${Math.round(bytes / 1000)} KB (${worst.what}; quadratic: ×${Math.round(scale).toLocaleString("en")} at 1 MB)`
        : `${ms(worst.ms)} (${worst.what})`;
    const compiles = refused.length === 0 ? `${compiled.length}` : `${compiled.length} (refuses ${refused.join("; ")})`;
    const row = `| ${engine.name} | ${compiles} | ${ms(compileMs)} | ${ms(requestMs)} | ${worstCell} |`;
    lines.push(row);
    onRow?.(row);
  }
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`)
  console.log(await benchRegexEngines({ only: process.argv[2], onRow: (row) => process.stderr.write(`${row}\n`) }));
