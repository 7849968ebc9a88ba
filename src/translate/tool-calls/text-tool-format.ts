import type { ToolCallFormat } from "../../tools/parsers/types.js";
import type { TranslateOptions } from "../translate-options.js";

/**
 * The text format to parse tool calls from in content: the one the profile declares, else every
 * known family at once. Native mode parses too, because servers leak the calls their own parser
 * missed as plain content, and `--backend-url` may point at a server running another family.
 */
export function textToolFormat(options: TranslateOptions): ToolCallFormat | "auto" {
  return options.toolFormat ?? "auto";
}
