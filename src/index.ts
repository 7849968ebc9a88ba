// mallex's public API, grouped by concern; test/unit/package.test.ts snapshots the export names.

// Config and compile
export { compileConfig, loadConfigValidator, type CompileConfigOptions, type CompileConfigResult } from "./compile/compile-config.js";
export { ensureCompiled, type EnsureCompiledOptions, type EnsureCompiledResult } from "./compile/ensure-compiled.js";
export type { RoutingTable, CompiledProfile, CompiledBackend, CompiledFilter, CompiledIntent } from "./compile/routing-table.js";
export { formatDiagnostic, type Diagnostic, type DiagnosticCode } from "./config/diagnostics.js";
export type { MallexConfig } from "../generated/config.js";

// Serving
export { startProxy, type StartProxyOptions, type RunningProxy } from "./server/start-proxy.js";
export { loadTemplates, type Templates } from "./templates/load-templates.js";

// Request pipeline (pure)
export { trimRequest } from "./trim/trim-request.js";
export { trimPlanFor } from "./trim/plan-trim.js";
export { convertAnthropicToOpenAI, parseOpenAIEventStream, createAnthropicStreamTranslator, formatSSE } from "./translate/index.js";
export { createToolCallParser, type ToolCallFormat, type ToolCallParserOptions } from "./tools/parsers/index.js";

// Errors
export { MallexError, type MallexErrorCode } from "./shared/mallex-error.js";
