import type { ToolCallFormat } from "../tools/parsers/types.js";
import type { TranslateOptions } from "./translate-options.js";

/**
 * The text format to parse tool calls from in content, or undefined for none. XML mode always
 * parses (mallex's own format unless the profile names another); native mode parses too when the
 * profile names a format, because mlx leaks calls it could not parse as plain content.
 */
export function textToolFormat(options: TranslateOptions): ToolCallFormat | undefined {
  if (options.toolFormat !== undefined) return options.toolFormat;
  return options.toolMode === "xml" ? "mallex-xml" : undefined;
}
