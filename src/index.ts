// Public API. Grouped by concern; test/unit/package.test.ts snapshots the export names.

// Config
export { compileConfig, loadConfigValidator, type CompileConfigOptions, type CompileConfigResult } from "./compile/compile-config.js";
export type { RoutingTable, CompiledProfile, CompiledBackend, CompiledFilter, CompiledIntent } from "./compile/routing-table.js";
export { formatDiagnostic, type Diagnostic, type DiagnosticCode } from "./config/diagnostics.js";
export type { MallexConfig } from "../generated/config.js";

// Errors
export { MallexError, type MallexErrorCode } from "./mallex-error.js";
