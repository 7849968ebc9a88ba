import { defineCommand } from "citty";
import { findPackageRoot } from "../../shared/package-root.js";
import { proxyArgs } from "../args/common-args.js";
import { formatClaudeHint } from "../claude-code/format-claude-hint.js";
import { formatDashboardHint } from "../dashboard-link.js";
import { repeatedOption } from "../args/repeated-option.js";
import { serve } from "../serve.js";
import { waitForShutdown } from "../wait-for-shutdown.js";
import { printErr } from "../terminal-text.js";
import { smallContextWarnings } from "../small-context-warning.js";

export default defineCommand({
  meta: { name: "proxy", description: "Serve the Anthropic Messages API on 127.0.0.1 and route to the configured backends (no Claude Code launch)" },
  args: proxyArgs,
  async run({ args, rawArgs }) {
    const backendUrls = repeatedOption(rawArgs, "backend-url");
    const serving = await serve(
      { ...args, backendUrls },
      {
        packageRoot: findPackageRoot(),
        print: printErr,
        stopSignals: ["SIGINT", "SIGTERM", "SIGHUP"],
        modelActions: true,
      },
    );
    const backend = args["backend-url"]
      ? ` → ${backendUrls.length > 1 ? backendUrls.join(", ") : args["backend-url"]}`
      : args["server-command"]
        ? ` → ${args["server-command"]} (started on first request)`
        : args.embedded
          ? ` → embedded engine with ${args.embedded} (started on first request)`
          : "";
    // The contexts known by now (declared, given with --ctx-size, planned, or read from a running server): a small one is said before any session starts.
    for (const warning of smallContextWarnings(serving.proxy.table())) printErr(warning);
    console.log(`mallex proxy listening on ${serving.proxy.url}${backend}`);
    console.log(`  claude: ${formatClaudeHint(serving.proxy.url, serving.table.server.authToken, process.env)}`);
    console.log(`  dashboard: ${formatDashboardHint(serving.proxy.url, serving.table.server.authToken, process.env)}`);
    console.log(`  ${serving.config}`);
    await waitForShutdown();
    await serving.close();
  },
});
