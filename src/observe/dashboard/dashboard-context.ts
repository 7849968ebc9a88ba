import type { RoutingTable } from "../../compile/routing-table.js";
import type { DashboardFeed } from "./dashboard-feed.js";

/**
 * The Models tab's list for a routing table: what `mallex models --json` prints (models/, which the
 * CLI gives the proxy, loaded on the tab's first ask: it brings the GGUF reader), each model an object
 * the route only serializes; and what of MALLEX_HOME's measurements could not be read, in words.
 */
export type ListModels = (table: RoutingTable) => Promise<{ models: readonly object[]; problems: readonly string[] }>;

/**
 * The dashboard's part of the server context (absent: no dashboard, /ui answers 404). Beside its feed,
 * not in the route that serves it: the server context holds it, and the route reads the context.
 */
export interface Dashboard {
  feed: DashboardFeed;
  /** Where `npm run build` put the page: index.html, app.js, style.css. */
  assetsDir: string;
  /** observability.dashboard_prompts: explanations show prompt text. */
  showPrompts: boolean;
  /** Between two comments on an idle /ui/events stream, so proxies and the browser keep it open. */
  heartbeatMs: number;
  /** The last `mallex eval` report saved under MALLEX_HOME: shown when this proxy runs no eval of its own. */
  lastEvalFile?: string;
  /** The Models tab's list (absent: /ui/api/models answers 404: a proxy started without the CLI). */
  listModels?: ListModels;
  /**
   * MALLEX_HOME/models, the one folder the Models page removes from: sent with the list (its answer's
   * `x-mallex-models-dir`, the body being what `mallex models --json` prints), so the page offers Remove
   * only there.
   */
  modelsDir?: string;
  /**
   * Aborted when the server closes: each /ui/events stream then ends (its page reconnects). An
   * open stream never finishes on its own, and the server's close waits for answers under way.
   */
  closing?: AbortSignal;
}
