/**
 * What `auto` needs from a family beyond its scanner: whether a block's body is written the way the
 * family writes calls. Prose and code mention markers too ("the `<tool_call>` tag wraps…"); auto
 * keeps such a block as text instead of reporting a broken call.
 */
import type { CallBlock, ScannerSpec } from "./marker-scanner.js";

export interface FamilySpec extends ScannerSpec {
  /**
   * Whether `body` (the text after `block.start`, whole or up to a candidate end marker) is shaped
   * like this family's call, broken or not. `toolNames` is the request's tools, lower-cased, for
   * shapes too plain to trust alone (a GLM call with no arguments is just a word).
   */
  readonly callShaped: (block: CallBlock, body: string, toolNames: ReadonlySet<string>) => boolean;
  /** Whether a block may pick the family in auto mode; control tokens only count once it is picked. */
  readonly picksFamily?: (block: CallBlock) => boolean;
  /** A shape of no family that any family's model may write (a fenced JSON call): read whichever family is picked, and picks none. */
  readonly anyFamily?: boolean;
}

/** Special tokens never occur in prose, so anything after them is the family's, broken or not. */
export const alwaysShaped = (): boolean => true;

/** A call-shape test on the body's start, ignoring leading whitespace. */
export const bodyStartsWith =
  (pattern: RegExp) =>
  (_block: CallBlock, body: string): boolean =>
    pattern.test(body.trimStart());
