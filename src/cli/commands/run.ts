import { defineCommand } from "citty";
import { proxyArgs } from "../common-args.js";
import { notAvailable } from "../not-available.js";

export default defineCommand({
  meta: { name: "run", description: "Start the proxy and the local model server, then launch Claude Code pointed at them (mallex run -- <claude args>)" },
  args: {
    ...proxyArgs,
    setup: { type: "boolean", description: "Run `mallex init` first" },
  },
  run() {
    notAvailable("run");
  },
});
