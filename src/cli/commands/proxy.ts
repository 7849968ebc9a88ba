import { defineCommand } from "citty";
import { proxyArgs } from "../common-args.js";
import { notAvailable } from "../not-available.js";

export default defineCommand({
  meta: { name: "proxy", description: "Serve the Anthropic Messages API on 127.0.0.1 and route to the configured backends (no Claude Code launch)" },
  args: proxyArgs,
  run() {
    notAvailable("proxy");
  },
});
