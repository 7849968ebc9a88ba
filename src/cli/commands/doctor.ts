import { defineCommand } from "citty";
import { configArgs } from "../common-args.js";
import { notAvailable } from "../not-available.js";

export default defineCommand({
  meta: { name: "doctor", description: "Check config, Python/mlx-lm, model, ports, backend, Claude Code and API keys; one line each with the fix" },
  args: configArgs,
  run() {
    notAvailable("doctor");
  },
});
