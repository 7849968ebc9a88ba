import { defineCommand } from "citty";
import { configArgs } from "../common-args.js";
import { notAvailable } from "../not-available.js";

export default defineCommand({
  meta: { name: "explain", description: "Show what every trimming rule does to one captured request, and the exact upstream request" },
  args: {
    ...configArgs,
    request: { type: "positional", description: "A captured Anthropic request (bare body, or an exchange holding it under `body`)", required: true, valueHint: "request.json" },
    profile: { type: "string", description: "Profile to trim for", valueHint: "name" },
    size: { type: "string", description: "Size class to trim for: small | medium | large", valueHint: "size" },
    json: { type: "boolean", description: "Print one JSON object (before.chars, after.chars, upstream, rules)" },
  },
  run() {
    notAvailable("explain");
  },
});
