/**
 * The spec shared by Gemma 4 and FunctionGemma: `call:NAME{…}` between a start and an end token,
 * with strings wrapped in a delimiter token. Both markers are special tokens, so any block is a call.
 */
import { alwaysShaped } from "./family-spec.js";
import type { FamilySpec } from "./family-spec.js";
import { SPACE } from "./match-head.js";
import { readGemmaCalls } from "./read-gemma-calls.js";

export interface GemmaTokens {
  readonly start: string;
  readonly end: string;
  /** The string delimiter: `<|"|>` for Gemma 4, `<escape>` for FunctionGemma. */
  readonly quote: string;
}

export const gemmaCallSpec = ({ start, end, quote }: GemmaTokens): FamilySpec => ({
  // An end marker inside a string value does not end the call: strings come in pairs of delimiters.
  blocks: [{ start, end, acceptsEnd: (body) => body.split(quote).length % 2 === 1, head: [[SPACE, "call:"]] }],
  parse: ({ body, raw }) => readGemmaCalls(body, raw, quote),
  callShaped: alwaysShaped,
});
