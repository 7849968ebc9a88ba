import { isMap, isScalar, isSeq, parse, parseDocument, stringify, type Document, type Pair, type YAMLMap } from "yaml";
import { TIER_ORDER } from "../../compile/routing-table.js";

/** The new text, or why this file cannot be changed so (in words the user reads: it then changes it by hand). */
export type TextEdit = { ok: true; text: string } | { ok: false; message: string };

/**
 * Pure: `tiers.<tier>.profile` set to `profile` in a mallex.yaml's text. The yaml package's Document
 * finds where each value is written, and only those characters change: every other byte — comments,
 * blank lines, the alignment `mallex init` writes, quotes, anchors — stays as the user had it (a whole
 * document written back by yaml would re-flow them). A tier the file does not set yet is added in tier
 * order, as `<tier>: { profile: … }`; a file with no tiers gets the section at its end.
 */
export function setTierProfile(text: string, tier: string, profile: string): TextEdit {
  const root = rootMap(text);
  if (!root.ok) return root;
  const value = flowScalar(profile);
  const tiers = pairOf(root.map, "tiers");
  if (tiers === undefined) return { ok: true, text: appendSection(text, root.indent, `tiers:\n  ${tier}: { profile: ${value} }\n`) };
  if (!isMap(tiers.value)) return byHand("tiers is not a map of tiers");
  const map = tiers.value;
  const entry = pairOf(map, tier);
  if (entry === undefined) return { ok: true, text: addTier(text, map, tier, `${tier}: { profile: ${value} }`) };
  if (!isMap(entry.value)) return byHand(`tiers.${tier} is not a map with a profile (${describeNode(entry.value)})`);
  const current = entry.value.get("profile", true);
  if (isScalar(current) && current.range) return { ok: true, text: splice(text, current.range[0], current.range[1], value) };
  if (current !== undefined) return byHand(`tiers.${tier}.profile is ${describeNode(current)}, not a name`);
  return { ok: true, text: addFirstKey(text, entry.value, `profile: ${value}`) };
}

/**
 * Pure: a profile added under `profiles:` (its fields written by yaml, in block style, indented as
 * the file's profiles are), after the last one; a file with no profiles gets the section before its
 * tiers (and the comment lines right above them), else at its end.
 */
export function addProfile(text: string, name: string, fields: Record<string, unknown>): TextEdit {
  const root = rootMap(text);
  if (!root.ok) return root;
  const block = stringify({ [name]: fields }, { lineWidth: 0 });
  const profiles = pairOf(root.map, "profiles");
  if (profiles === undefined) {
    const section = `profiles:\n${indentLines(block, "  ")}`;
    const tiers = pairOf(root.map, "tiers");
    if (tiers === undefined || !isScalar(tiers.key) || !tiers.key.range) return { ok: true, text: appendSection(text, root.indent, section) };
    const at = startOfCommentsAbove(text, lineStart(text, tiers.key.range[0]));
    return { ok: true, text: splice(text, at, at, `${indentLines(section, root.indent)}\n`) };
  }
  if (!isMap(profiles.value) || profiles.value.flow) return byHand("profiles is not a map of profiles in block style");
  const map = profiles.value;
  if (pairOf(map, name) !== undefined) return byHand(`a profile ${name} is there already`);
  const first = map.items[0];
  if (first === undefined || !map.range) return byHand("profiles is empty");
  const indent = " ".repeat(columnOf(text, keyStart(first)));
  const last = map.items[map.items.length - 1]!;
  // Profiles one blank line apart (as the shipped default writes them) get one before this one too.
  const spaced = map.items.length > 1 && /\n[ \t]*\n[ \t]*$/.test(text.slice(0, lineStart(text, keyStart(last))));
  const end = map.range[1];
  const before = end > 0 && text[end - 1] !== "\n" ? "\n" : "";
  return { ok: true, text: splice(text, end, end, `${before}${spaced ? "\n" : ""}${indentLines(block, indent)}`) };
}

/** A value as it may stand in a flow map (`{ profile: … }`): plain where YAML reads it back as the same string, else double-quoted. */
export function flowScalar(value: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(value) && parse(value) === value ? value : JSON.stringify(value);
}

type RootMap = { ok: true; map: YAMLMap; indent: string } | { ok: false; message: string };

/** The document's top map; a file of comments alone is an empty one (new sections go at its end). */
function rootMap(text: string): RootMap {
  const doc: Document = parseDocument(text);
  if (doc.errors.length > 0) return byHand(`it is not valid YAML (${doc.errors[0]!.message.split("\n")[0]})`);
  const contents = doc.contents;
  if (contents === null || (isScalar(contents) && contents.value === null)) return { ok: true, map: doc.createNode({}) as YAMLMap, indent: "" };
  if (!isMap(contents) || contents.flow) return byHand("its settings are not a map in block style");
  const first = contents.items[0];
  return { ok: true, map: contents, indent: first === undefined ? "" : " ".repeat(columnOf(text, keyStart(first))) };
}

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((pair) => (isScalar(pair.key) ? pair.key.value : pair.key) === key);
}

/** A tier entry added before the first tier that comes after it (low, medium, high), else after the last. */
function addTier(text: string, map: YAMLMap, tier: string, entry: string): string {
  if (map.flow) return addFirstKey(text, map, entry, true);
  const rank = (name: unknown) => TIER_ORDER.indexOf(name as (typeof TIER_ORDER)[number]);
  const later = map.items.find((pair) => rank(isScalar(pair.key) ? pair.key.value : undefined) > rank(tier));
  const first = map.items[0]!;
  const indent = " ".repeat(columnOf(text, keyStart(first)));
  if (later !== undefined) {
    const at = lineStart(text, keyStart(later));
    return splice(text, at, at, `${indent}${entry}\n`);
  }
  const end = map.range![1];
  return splice(text, end, end, `${end > 0 && text[end - 1] !== "\n" ? "\n" : ""}${indent}${entry}\n`);
}

/**
 * A key added to a map: a flow map's after its `{` (`last`: after its last entry), a block map's on
 * a line of its own above its first key, at that key's indentation.
 */
function addFirstKey(text: string, map: YAMLMap, entry: string, last = false): string {
  const start = map.range![0];
  if (map.flow) {
    const final = map.items[map.items.length - 1];
    const end = final === undefined ? undefined : (rangeOf(final.value) ?? rangeOf(final.key))?.[1];
    if (last && end !== undefined) return splice(text, end, end, `, ${entry}`);
    const open = text.indexOf("{", start);
    return splice(text, open + 1, open + 1, map.items.length === 0 ? ` ${entry} ` : ` ${entry},`);
  }
  return splice(text, start, start, `${entry}\n${" ".repeat(columnOf(text, start))}`);
}

function rangeOf(node: unknown): readonly [number, number, number] | undefined {
  return isScalar(node) || isMap(node) || isSeq(node) ? (node.range ?? undefined) : undefined;
}

/** A new top-level section at the end of the file, a blank line before it. */
function appendSection(text: string, indent: string, section: string): string {
  const base = text === "" || text.endsWith("\n") ? text : `${text}\n`;
  return `${base}${base === "" || base.endsWith("\n\n") ? "" : "\n"}${indentLines(section, indent)}`;
}

/** Where the comment lines right above `at` (a line's start) begin: a section's heading stays with its section. */
function startOfCommentsAbove(text: string, at: number): number {
  let start = at;
  for (;;) {
    if (start === 0) return start;
    const previous = lineStart(text, start - 1);
    if (!/^[ \t]*#/.test(text.slice(previous, start))) return start;
    start = previous;
  }
}

function keyStart(pair: Pair): number {
  return isScalar(pair.key) && pair.key.range ? pair.key.range[0] : 0;
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf("\n", offset - 1) + 1;
}

function columnOf(text: string, offset: number): number {
  return offset - lineStart(text, offset);
}

function indentLines(block: string, indent: string): string {
  return block
    .split("\n")
    .map((line) => (line === "" ? line : `${indent}${line}`))
    .join("\n");
}

function splice(text: string, start: number, end: number, insert: string): string {
  return `${text.slice(0, start)}${insert}${text.slice(end)}`;
}

function describeNode(node: unknown): string {
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) return "empty";
  if (isScalar(node)) return `the value ${JSON.stringify(node.value)}`;
  return "an alias or a list";
}

function byHand(why: string): { ok: false; message: string } {
  return { ok: false, message: `mallex cannot change this file for you: ${why}; change it by hand` };
}
