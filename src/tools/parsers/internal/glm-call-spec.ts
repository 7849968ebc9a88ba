/**
 * GLM-4.5's call layout, which LongCat copies under its own tag names:
 * `<CALL>NAME<KEY>k</KEY><VALUE>v</VALUE></CALL>`. Values are raw text, typed later from the tool's
 * input_schema, and kept byte for byte (a file's trailing newline is content).
 */
import type { ToolParseEvent } from "../types.js";
import { invalidCall, jsonCalls, toolCall } from "./build-call-events.js";
import type { FamilySpec } from "./family-spec.js";
import type { CallBlock, ScannedBlock } from "./marker-scanner.js";
import { SPACE } from "./match-head.js";
import { couldBeName, endsWithAny, readTaggedArguments } from "./read-tagged-parts.js";
import type { TagSyntax } from "./read-tagged-parts.js";
import { endsInsideJsonString } from "./scan-json.js";

/** The family's tag names, without angle brackets: `tool_call`, `arg_key`, `arg_value` for GLM. */
export interface GlmTagNames {
  readonly call: string;
  readonly key: string;
  readonly value: string;
}

const CALL_NAME = /[^\s<>{}[\]]+/y;

const looksLikeJson = (body: string): boolean => body.trimStart().startsWith("{");

/** A GLM-layout family's spec; only the call-shape test differs between families. */
export function glmCallSpec(tags: GlmTagNames, callShaped: FamilySpec["callShaped"]): FamilySpec {
  const keyOpen = `<${tags.key}>`;
  const valueOpen = `<${tags.value}>`;
  const argument: TagSyntax = {
    open: new RegExp(`${keyOpen}([^<]*)</${tags.key}>\\s*${valueOpen}`),
    close: `</${tags.value}>`,
    next: keyOpen,
  };
  const block: CallBlock = {
    start: `<${tags.call}>`,
    end: `</${tags.call}>`,
    acceptsEnd: (body) => (looksLikeJson(body) ? !endsInsideJsonString(body) : !body.includes(valueOpen) || endsWithAny(body, [argument.close])),
    // JSON, or a name followed by its first argument or by the end of a call that takes none (with
    // a stray argument closer before it, see strayCloserAfterName).
    head: [
      [SPACE, "{"],
      [SPACE, CALL_NAME, SPACE, keyOpen],
      [SPACE, CALL_NAME, SPACE, `</${tags.call}>`],
      ...argumentClosers(tags).map((closer) => [SPACE, CALL_NAME, SPACE, closer]),
    ],
  };
  const strayCloser = strayCloserAfterName(tags);

  const parse = (scanned: ScannedBlock): ToolParseEvent[] => {
    const { body, raw } = scanned;
    // The models occasionally fall back to Hermes-style JSON inside the same markers.
    if (looksLikeJson(body)) return jsonCalls(body, raw, { cutOff: !scanned.terminated });
    const keyAt = body.indexOf(keyOpen);
    // A stray closer after the name ends it, with or without the call's own end marker.
    const stray = keyAt === -1 ? strayCloser.exec(body) : null;
    if (stray !== null)
      return [toolCall(stray[1] ?? "", {}, true, raw, `the stray ${(stray[2] ?? "").trim().replace(/\s+/g, " ")} after a call without arguments`)];
    // Without arguments or an end marker there is no telling whether the name itself was cut off.
    if (keyAt === -1 && !scanned.terminated) return [invalidCall(raw, "the tool call is cut off")];
    const name = keyAt === -1 ? body : body.slice(0, keyAt);
    const restored = restoreValueOpeners(keyAt === -1 ? "" : body.slice(keyAt), tags);
    const read = readTaggedArguments(restored.text, argument, { nested: { open: `<${tags.call}>`, close: `</${tags.call}>` }, callClosed: scanned.terminated });
    const repaired = [restored.repaired, read.ok ? read.repaired : undefined].filter((note) => note !== undefined).join("; ");
    return [read.ok ? toolCall(name, read.args, true, raw, repaired === "" ? undefined : repaired) : invalidCall(raw, read.reason)];
  };

  // A name with a stray argument closer is GLM's markup, whatever the name: no prose writes `</arg_value>`.
  return { blocks: [block], parse, callShaped: (shaped, body, toolNames) => callShaped(shaped, body, toolNames) || strayCloser.test(body) };
}

/** The closing tags of an argument's key and value. */
const argumentClosers = (tags: GlmTagNames): string[] => [`</${tags.value}>`, `</${tags.key}>`];

/**
 * A call without arguments that the model closed as if it had written one: `<tool_call>TaskList</arg_value></tool_call>`
 * (GLM-4.x after calls that took arguments). The closers hold nothing, so the call is the name alone.
 * Group 1 is the name, group 2 the closers.
 */
function strayCloserAfterName(tags: GlmTagNames): RegExp {
  return new RegExp(`^\\s*([^\\s<>{}[\\]]+)((?:\\s*(?:${argumentClosers(tags).join("|")}))+)\\s*$`);
}

/**
 * GLM-4.7-family models under load sometimes drop a value's opening tag and keep the rest:
 * `<arg_key>query</arg_key>vacation days</arg_value>` (vllm#49248, where the call silently lost its
 * arguments). Where a key is followed by text that its own `</arg_value>` closes before the next
 * key, the opening tag is put back, and the call says it was repaired. A key with no closing value
 * tag at all stays broken: nothing marks where its value ends. Only keys where the argument list
 * puts one count (first, or right after a value's `</arg_value>`), named like a parameter: a value
 * that holds the tags as code (a GLM parser's source being written) is never edited.
 */
function restoreValueOpeners(args: string, tags: GlmTagNames): { text: string; repaired?: string } {
  const keyTag = new RegExp(`<${tags.key}>([^<]*)</${tags.key}>`, "g");
  const valueOpen = `<${tags.value}>`;
  const valueClose = `</${tags.value}>`;
  const keyOpen = `<${tags.key}>`;
  const missing: string[] = [];
  let out = "";
  let copied = 0;
  for (const match of args.matchAll(keyTag)) {
    const key = match[1] ?? "";
    if (!couldBeName(key) || !startsArgument(args, match.index, valueClose)) continue;
    const after = match.index + match[0].length;
    let first = after;
    while (first < args.length && /\s/.test(args[first]!)) first++;
    if (args.startsWith(valueOpen, first)) continue;
    const end = args.indexOf(valueClose, after);
    const nextKey = args.indexOf(keyOpen, after);
    if (end === -1 || (nextKey !== -1 && nextKey < end)) continue;
    missing.push(key);
    out += args.slice(copied, after) + valueOpen;
    copied = after;
  }
  out += args.slice(copied);
  return missing.length === 0
    ? { text: args }
    : { text: out, repaired: `the missing ${valueOpen} of ${missing.map((key) => `parameter "${key}"`).join(", ")}` };
}

/** Whether an argument may start at `at`: nothing but whitespace before it, or after the previous value's closing tag. */
function startsArgument(args: string, at: number, valueClose: string): boolean {
  let end = at;
  while (end > 0 && /\s/.test(args[end - 1]!)) end--;
  return end === 0 || (end >= valueClose.length && args.startsWith(valueClose, end - valueClose.length));
}
