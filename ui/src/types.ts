/**
 * What the server sends, as the page reads it. The shapes are those of src/server/dashboard/
 * (RequestSummary, ServerSummary, PoolSummary, CapacitySummary, ContextSummary, DashboardMessage, RoutingTableView), imported as types only:
 * nothing of the server is bundled into the page.
 */
export type { RequestSummary } from "../../src/server/dashboard/summarize-request.js";
export type { ServerSummary } from "../../src/server/dashboard/server-summary.js";
export type { PoolSummary } from "../../src/server/dashboard/pool-summary.js";
export type { MemorySummary } from "../../src/server/dashboard/memory-summary.js";
export type { CapacitySummary } from "../../src/server/dashboard/capacity-summary.js";
export type { ContextSummary } from "../../src/server/dashboard/context-summary.js";
export type { ClaudeCodeDrift } from "../../src/server/claude-code-drift.js";
export type { DashboardMessage } from "../../src/server/dashboard/dashboard-feed.js";
export type { RoutingTableView } from "../../src/server/dashboard/describe-routing-table.js";
export type { EvalView } from "../../src/eval/eval-view.js";
export type { EvalGroup, TaskResult as EvalTaskResult } from "../../src/eval/eval-report.js";
