import { formatPosition, type SourcePosition } from "./source-position.js";

/** Every problem `mallex compile` can report, as a stable kebab-case code. */
export type DiagnosticCode =
  | "config-not-found"
  | "yaml-syntax"
  | "yaml-alias-limit"
  | "config-unreadable"
  | "include-invalid"
  | "include-not-found"
  | "include-cycle"
  | "disable-unknown-id"
  | "env-unset"
  | "env-syntax"
  | "env-secret-in-field"
  | "env-in-uncompiled-field"
  | "schema-unknown-key"
  | "schema-missing-key"
  | "schema-type"
  | "schema-enum"
  | "schema-value"
  | "ref-backend-unknown"
  | "ref-profile-unknown"
  | "ref-template-unknown"
  | "ref-tier-unknown"
  | "ref-keep-unknown"
  | "tier-fallback-cycle"
  | "tier-unreachable"
  | "regex-invalid"
  | "regex-not-linear"
  | "template-not-found"
  | "template-syntax"
  | "template-unknown-variable"
  | "template-unknown-helper"
  | "template-unused"
  | "profile-tools-template-missing"
  | "profile-worked-example-format"
  | "backend-url-missing"
  | "backend-urls-conflict"
  | "backend-pool-without-urls"
  | "backend-embedded-unsupervised"
  | "backend-exo-supervised"
  | "backend-distributed-flavor"
  | "profile-distributed-draft"
  | "profile-draft-model-unused"
  | "profile-model-retiring"
  | "trimming-template-missing"
  | "tools-allow-not-builtin";

export type Severity = "error" | "warning";

export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  /** What to write instead. */
  hint?: string;
  position: SourcePosition;
}

export function diagnostic(code: DiagnosticCode, position: SourcePosition, message: string, hint?: string, severity: Severity = "error"): Diagnostic {
  return hint === undefined ? { code, severity, message, position } : { code, severity, message, hint, position };
}

/** One line per diagnostic: `FILE:LINE:COL: error [code] message (hint: …)`. */
export function formatDiagnostic(d: Diagnostic): string {
  const hint = d.hint ? ` (hint: ${d.hint})` : "";
  return `${formatPosition(d.position)}: ${d.severity} [${d.code}] ${d.message}${hint}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** Stable order: by file, then line, then column, then code. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      a.position.file.localeCompare(b.position.file) || a.position.line - b.position.line || a.position.col - b.position.col || a.code.localeCompare(b.code),
  );
}
