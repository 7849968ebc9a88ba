import type { MallexConfig } from "../../generated/config.js";
import { diagnostic, type Diagnostic, type DiagnosticCode } from "../config/diagnostics.js";
import type { LoadedConfig } from "../config/load-config.js";
import { originAt, type SourcePosition } from "../config/source-position.js";

/** A schema-valid config plus a way to say where any of its values was written. */
export interface ConfigView {
  config: MallexConfig;
  /** Position of the value at `path` (or of its key with `key: true`), or of its closest ancestor. */
  at(path: readonly (string | number)[], options?: { key?: boolean }): SourcePosition;
  report(code: DiagnosticCode, path: readonly (string | number)[], message: string, hint?: string, options?: { key?: boolean; warning?: boolean }): void;
  diagnostics: Diagnostic[];
}

export function createConfigView(loaded: LoadedConfig): ConfigView {
  const diagnostics: Diagnostic[] = [];
  const at: ConfigView["at"] = (path, options) => {
    const origin = originAt(loaded.value, loaded.origins, path, loaded.entry);
    return (options?.key ? origin.key : undefined) ?? origin.value;
  };
  return {
    config: loaded.value as MallexConfig,
    at,
    report(code, path, message, hint, options) {
      diagnostics.push(diagnostic(code, at(path, options), message, hint, options?.warning ? "warning" : "error"));
    },
    diagnostics,
  };
}
