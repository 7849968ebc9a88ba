import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "./helpers/config-tree.js";

/**
 * Every link in README.md and docs/*.md resolves: a file inside the repository, and an `#anchor` to a
 * heading of its page as GitHub makes it (github-slugger's rule over the heading's text). Links out of
 * the repository go only to package registries (prefer none). Code (fenced blocks, inline code) is no
 * link and holds no heading.
 */

const ALLOWED_HOSTS = new Set(["www.npmjs.com", "npmjs.com", "pypi.org", "huggingface.co"]);

const pages = [
  "README.md",
  ...readdirSync(join(packageRoot, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];

/** The page's text with fenced code blocks blanked (lines kept, so line numbers stay) and inline code removed. */
function proseOf(markdown: string): string {
  const lines = markdown.split("\n");
  let fence: { char: string; length: number } | undefined;
  const kept = lines.map((line) => {
    const opener = /^\s*(`{3,}|~{3,})(.*)$/.exec(line);
    if (fence) {
      if (opener && opener[1]![0] === fence.char && opener[1]!.length >= fence.length && opener[2]!.trim() === "") fence = undefined;
      return "";
    }
    // A backtick fence's info string holds no backtick: "```` ```json ```` fence." is inline code.
    if (opener && !(opener[1]![0] === "`" && opener[2]!.includes("`"))) {
      fence = { char: opener[1]![0]!, length: opener[1]!.length };
      return "";
    }
    return line;
  });
  // Inline code: a run of backticks to the next run of the same length, within a paragraph.
  return kept.join("\n").replace(/(`+)(?:(?!\n\s*\n)[\s\S])*?[^`]\1(?!`)|(`+)\2(?!`)/g, (code) => code.replace(/[^\n]/g, " "));
}

/** GitHub's anchor for a heading: its text lower-cased, everything but letters, digits, `_`, `-` and spaces dropped, spaces to `-`. */
function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/`/g, "")
    .replace(/\*\*|__/g, "")
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replace(/ /g, "-");
}

function anchorsOf(path: string): Set<string> {
  const markdown = readFileSync(join(packageRoot, path), "utf8");
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const lines = markdown.split("\n");
  let fence: { char: string; length: number } | undefined;
  for (const line of lines) {
    const opener = /^\s*(`{3,}|~{3,})(.*)$/.exec(line);
    if (fence) {
      if (opener && opener[1]![0] === fence.char && opener[1]!.length >= fence.length && opener[2]!.trim() === "") fence = undefined;
      continue;
    }
    if (opener && !(opener[1]![0] === "`" && opener[2]!.includes("`"))) {
      fence = { char: opener[1]![0]!, length: opener[1]!.length };
      continue;
    }
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+\s*)?$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

interface Link {
  page: string;
  line: number;
  target: string;
}

function linksOf(page: string): Link[] {
  const prose = proseOf(readFileSync(join(packageRoot, page), "utf8"));
  const lineAt = (index: number) => prose.slice(0, index).split("\n").length;
  const links: Link[] = [];
  for (const match of prose.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    links.push({ page, line: lineAt(match.index), target: match[1]! });
  }
  for (const match of prose.matchAll(/<(https?:\/\/[^>\s]+)>|(?<![(<])\bhttps?:\/\/[^\s)<>\]]+/g)) {
    links.push({ page, line: lineAt(match.index), target: match[1] ?? match[0] });
  }
  for (const match of prose.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)) links.push({ page, line: lineAt(match.index), target: match[1]! });
  return links;
}

/** What is wrong with one link, or undefined when it resolves. */
function problemWith(link: Link): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) {
    if (!/^https?:/i.test(link.target)) return "not a web or repository link";
    const host = new URL(link.target).hostname;
    if (host === "127.0.0.1" || host === "localhost") return "a local address outside inline code";
    return ALLOWED_HOSTS.has(host) ? undefined : `points outside the repository (${host})`;
  }
  const [path = "", anchor] = link.target.split("#", 2) as [string, string | undefined];
  const file = path === "" ? join(packageRoot, link.page) : resolve(dirname(join(packageRoot, link.page)), decodeURIComponent(path));
  const inRepo = relative(packageRoot, file);
  if (inRepo.startsWith("..")) return "points outside the repository";
  if (!existsSync(file)) return `${inRepo} does not exist`;
  if (anchor === undefined) return undefined;
  if (statSync(file).isDirectory() || !file.endsWith(".md")) return `#${anchor} on ${inRepo}, which is not a markdown page`;
  return anchorsOf(inRepo).has(anchor) ? undefined : `${inRepo} has no heading #${anchor}`;
}

describe("links in README.md and docs/*.md", () => {
  it("reads the pages' links and headings as GitHub does", () => {
    expect(slug("Scoring a model: `mallex eval`")).toBe("scoring-a-model-mallex-eval");
    expect(slug('Proxy overhead: Claude Code\'s "what is 2+2" direct, through a reference proxy')).toBe(
      "proxy-overhead-claude-codes-what-is-22-direct-through-a-reference-proxy",
    );
    expect(linksOf("README.md").length).toBeGreaterThan(10);
    expect(proseOf("a ```` ```json ```` fence and [x](y.md)\n```sh\n[z](w.md)\n```\n")).toContain("[x](y.md)");
    expect(proseOf("```sh\n[z](w.md)\n```\n")).not.toContain("w.md");
  });

  it("every link to a file or an anchor resolves, and none leaves the repository but for a registry", () => {
    const problems = pages.flatMap((page) =>
      linksOf(page).flatMap((link) => {
        const problem = problemWith(link);
        return problem ? [`${link.page}:${link.line}: ${link.target}: ${problem}`] : [];
      }),
    );
    expect(problems).toEqual([]);
  });

  it("the README links to every page of docs/", () => {
    const linked = new Set(linksOf("README.md").map((link) => link.target.split("#")[0]));
    const unlinked = pages.filter((page) => page.startsWith("docs/") && !linked.has(page));
    expect(unlinked).toEqual([]);
  });
});
