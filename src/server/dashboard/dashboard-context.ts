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
}
