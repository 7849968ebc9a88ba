/**
 * What the server sends, as the page reads it. The shapes are those of src/observe/dashboard/
 * (RequestSummary, ServerSummary, PoolSummary, CapacitySummary, ContextSummary, DashboardMessage, RoutingTableView), and src/models/'s
 * ListedModel (what /ui/api/models answers) and what its actions answer (models/actions/), imported as types only: nothing of the server is bundled
 * into the page (the Models tab bundles `mallex models`' pure formatters, to say what it says, and the tiers' names).
 */
export type { RequestSummary } from "../../src/observe/dashboard/summarize-request.js";
export type { InFlightSummary } from "../../src/observe/dashboard/in-flight-summary.js";
export type { ServerSummary } from "../../src/observe/dashboard/server-summary.js";
export type { PoolSummary } from "../../src/observe/dashboard/pool-summary.js";
export type { MemorySummary } from "../../src/observe/dashboard/memory-summary.js";
export type { CapacitySummary } from "../../src/observe/dashboard/capacity-summary.js";
export type { ContextSummary } from "../../src/observe/dashboard/context-summary.js";
export type { ClaudeCodeDrift } from "../../src/observe/claude-code-drift.js";
export type { DashboardMessage } from "../../src/observe/dashboard/dashboard-feed.js";
export type { RoutingTableView } from "../../src/observe/dashboard/describe-routing-table.js";
export type { EvalView } from "../../src/eval/eval-view.js";
export type { EvalGroup, TaskResult as EvalTaskResult } from "../../src/eval/eval-report.js";
export type { ListedModel, ModelEvalScore } from "../../src/models/model-entry.js";
export type { MeasuredSpeed } from "../../src/observe/measured-speeds.js";
export type { TierPlan } from "../../src/models/actions/plan-tier-change.js";
export type { TierChangeWritten } from "../../src/models/actions/apply-tier-change.js";
export type { RemovedModel } from "../../src/models/actions/remove-model.js";
