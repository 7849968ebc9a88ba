import { defineCommand } from "citty";
import { notAvailable } from "../not-available.js";

export default defineCommand({
  meta: { name: "init", description: "Detect this machine, recommend a model and write a commented mallex.yaml" },
  args: {
    yes: { type: "boolean", alias: "y", description: "Accept the recommendation without asking" },
    model: { type: "string", description: "Profile to use instead of the recommended one", valueHint: "profile" },
    tiers: { type: "string", description: "Tiers that go to Claude, comma-separated (e.g. high)", valueHint: "list" },
    out: { type: "string", description: "Where to write the config (default: ./mallex.yaml)", valueHint: "file" },
  },
  run() {
    notAvailable("init");
  },
});
