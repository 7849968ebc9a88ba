import type { ToolCallFormat, ToolParseEvent } from "../../../src/tools/parsers/index.js";

/** A realistic model output and the exact events it must produce, whatever the chunking. */
export interface CorpusEntry {
  readonly name: string;
  readonly input: string;
  readonly expected: readonly ToolParseEvent[];
}

export type Corpus = Readonly<Record<ToolCallFormat, readonly CorpusEntry[]>>;

export const text = (value: string): ToolParseEvent => ({ type: "text", text: value });

export const call = (
  name: string,
  args: Record<string, unknown>,
  raw: string,
  untyped: boolean,
  /** What the parser had to repair to read it (see ParsedToolCall.repaired). */
  repaired?: string,
): ToolParseEvent => ({ type: "tool_call", call: { name, arguments: args, untyped, raw, ...(repaired !== undefined ? { repaired } : {}) } });

export const invalid = (raw: string, reason: string): ToolParseEvent => ({
  type: "invalid_call",
  raw,
  reason,
});
