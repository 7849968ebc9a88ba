// `npm run check:claude-code [-- --version X] [-- --fail-on-drift]`: how mallex's shipped trimming
// does on the Claude Code versions that matter — the older (`claude-code-older`), the pinned and the
// newest (`claude-code-newest`) devDependencies and the registry's latest (or --version X), deduplicated. The latest is
// installed into node_modules/.cache/mallex/claude-code/<version>/ when it is neither devDependency;
// each version's first request is captured against a fake API on 127.0.0.1 (nothing leaves the
// machine) and measured with the built library (dist/: the npm script builds first).
//
// Exit 0; with --fail-on-drift, 1 when a version's cut of Claude Code's own text (the user's kept text
// counted apart, as `mallex explain` reports it) is below the goal (small 94%, medium 90%) or
// trimming could not place something; 2 on a usage or setup error.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { captureFirstRequestCached, installedClaudeCode } from "./claude-code/capture-request.js";
import { driftOf, loadShippedTrimming, percent, SIZE_GOALS } from "./claude-code/measure-trimming.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const INSTALL_CACHE = join(ROOT, "node_modules", ".cache", "mallex", "claude-code");

async function main() {
  const { values } = parseArgs({
    options: { version: { type: "string" }, "fail-on-drift": { type: "boolean", default: false }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log("usage: npm run check:claude-code [-- --version X] [-- --fail-on-drift]");
    return 0;
  }
  if (values.version !== undefined && !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(values.version))
    throw new UsageError(`--version must be a version such as 2.1.330, got "${values.version}"`);

  const installed = [
    installedVersion("older", "claude-code-older"),
    installedVersion("pinned", "@anthropic-ai/claude-code"),
    installedVersion("newest", "claude-code-newest"),
  ];
  const wanted = values.version ?? registryLatest();
  const versions = withVersion(installed, wanted, values.version === undefined ? "latest" : "asked");

  const trimming = await loadShippedTrimming(ROOT);
  const rows = [];
  for (const v of versions) {
    const bin = v.bin ?? installIntoCache(v.version);
    const capture = await captureFirstRequestCached({ bin, version: v.version });
    rows.push({ ...v, ...trimming.measure(capture.body) });
  }

  console.log(formatTable(rows, trimming.profiles));
  const unplaced = formatUnplaced(rows);
  console.log(unplaced === "" ? "\nTrimming placed everything in every version's first request." : `\nTrimming could not place:\n${unplaced}`);
  const drift = rows.flatMap((row) => driftOf(row.sizes).map((reason) => `${row.version}: ${reason}`));
  if (drift.length > 0)
    console.log(
      `\nDrift (goals: ${Object.entries(SIZE_GOALS)
        .map(([size, goal]) => `${size} ≥ ${percent(goal)}`)
        .join(", ")}, nothing unplaced):\n${drift.map((line) => `  ${line}`).join("\n")}`,
    );
  return values["fail-on-drift"] && drift.length > 0 ? 1 : 0;
}

class UsageError extends Error {}

/** An installed devDependency: its version from its own package.json, and its binary. */
function installedVersion(label, packageName) {
  const installed = installedClaudeCode(packageName);
  if (installed === undefined) throw new UsageError(`${packageName} is not installed (run \`npm ci\`)`);
  return { labels: [label], ...installed };
}

/** The installed versions with `version` added (labelled), or its label added to the one that is it. */
function withVersion(installed, version, label) {
  const same = installed.find((v) => v.version === version);
  if (same) return installed.map((v) => (v === same ? { ...v, labels: [...v.labels, label] } : v));
  return [...installed, { labels: [label], version, bin: undefined }];
}

function registryLatest() {
  try {
    return execFileSync("npm", ["view", "@anthropic-ai/claude-code", "version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } catch (error) {
    const failed = /** @type {Error & { stderr?: string }} */ (error);
    throw new UsageError(
      `cannot ask the registry for Claude Code's latest version (npm view @anthropic-ai/claude-code version): ${String(failed.stderr ?? failed.message).trim()}`,
    );
  }
}

/** Installs @anthropic-ai/claude-code@version into the cache folder, once; returns its binary, checked with --version. */
function installIntoCache(version) {
  const prefix = join(INSTALL_CACHE, version);
  const bin = join(prefix, "node_modules", "@anthropic-ai", "claude-code", "bin", "claude.exe");
  if (!reportsVersion(bin, version)) {
    mkdirSync(prefix, { recursive: true });
    console.error(`installing @anthropic-ai/claude-code@${version} into ${prefix} …`);
    execFileSync("npm", ["install", "--no-save", "--no-package-lock", "--prefix", prefix, `@anthropic-ai/claude-code@${version}`], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    if (!reportsVersion(bin, version)) throw new UsageError(`${bin} does not run as Claude Code ${version} after npm install (did its postinstall run?)`);
  }
  return bin;
}

function reportsVersion(bin, version) {
  try {
    return execFileSync(bin, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 30_000 }).startsWith(`${version} `);
  } catch {
    return false;
  }
}

const number = (n) => (n === undefined ? "—" : n.toLocaleString("en-US"));

function formatTable(rows, profiles) {
  const sizes = Object.keys(SIZE_GOALS);
  const header = ["version", "", "request chars", ...sizes.flatMap((size) => [`${size} chars`, `${size} cut`, `${size} own-text cut`, `${size} template`])];
  const lines = rows.map((row) => [
    row.version,
    row.labels.join(", "),
    number(row.requestChars),
    ...sizes.flatMap((size) => {
      const figures = row.sizes[size];
      return [number(figures.chars), percent(figures.cut), percent(figures.ownCut), figures.template ? "yes" : "no"];
    }),
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...lines].map((line) => line[i].length)));
  const render = (line) =>
    line
      .map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join("  ")
      .trimEnd();
  const measured = sizes.map((size) => `${size}: ${profiles[size]}`).join(", ");
  return [`Claude Code's first request ("what is 2+2") trimmed by the shipped mallex.yaml (${measured})`, "", render(header), ...lines.map(render)].join("\n");
}

/** Each version's unplaced items, once each, with the sizes they showed up in. */
function formatUnplaced(rows) {
  return rows
    .flatMap((row) => {
      const sizesOf = new Map();
      for (const [size, figures] of Object.entries(row.sizes)) for (const item of figures.unplaced) sizesOf.set(item, [...(sizesOf.get(item) ?? []), size]);
      return [...sizesOf].map(([item, sizes]) => `  ${row.version} (${sizes.join(", ")}): ${item}`);
    })
    .join("\n");
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`check:claude-code: ${error instanceof UsageError ? error.message : (error.stack ?? error)}`);
    process.exit(2);
  },
);
