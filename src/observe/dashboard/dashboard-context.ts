import type { DashboardFeed } from "./dashboard-feed.js";

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
  /**
   * Aborted when the server closes: each /ui/events stream then ends (its page reconnects). An
   * open stream never finishes on its own, and the server's close waits for answers under way.
   */
  closing?: AbortSignal;
}
