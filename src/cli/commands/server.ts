import { defineCommand } from "citty";
import { configArgs } from "../common-args.js";
import { notAvailable } from "../not-available.js";

export default defineCommand({
  meta: { name: "server", description: "Manage the supervised local model server: status, stop, logs" },
  args: {
    ...configArgs,
    action: { type: "positional", description: "status | stop | logs", required: true, valueHint: "action" },
  },
  run() {
    notAvailable("server");
  },
});
