import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RoutingTable } from "../src/compile/routing-table.js";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { sdkClient } from "./helpers/sdk-client.js";
import { createTestProxy, defaultTable } from "./helpers/test-proxy.js";

let mlx: FakeMlxServer;
beforeAll(async () => {
  mlx = await createFakeMlxServer();
});
afterAll(() => mlx.close());

/** The default table with every profile's `thinking` set. */
function tableWith(thinking: "strip" | "expose"): RoutingTable {
  const table = structuredClone(defaultTable);
  for (const profile of Object.values(table.profiles)) profile.thinking = thinking;
  return table;
}

const requests = {
  enabled: { type: "enabled", budget_tokens: 1024 },
  adaptive: { type: "adaptive" },
  disabled: { type: "disabled" },
  absent: undefined,
  omitted: { type: "adaptive", display: "omitted" },
} as const;

/** The model thinks whatever it is asked (a hybrid model's template default): only mallex decides what is shown. */
async function ask(profile: "strip" | "expose", thinking: keyof typeof requests, stream: boolean) {
  const proxy = createTestProxy({ backendUrl: mlx.url, table: tableWith(profile) });
  mlx.script({ reasoning: "The user wants a greeting.", text: "Hello!" });
  const params = {
    model: "claude-opus-4-8",
    max_tokens: 4096,
    messages: [{ role: "user" as const, content: "Say hello." }],
    ...(requests[thinking] ? { thinking: requests[thinking] } : {}),
  };
  const client = sdkClient(proxy);
  const message = stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
  await expect.poll(() => proxy.logs.length).toBe(1);
  return { message, log: proxy.logs[0]! };
}

describe("thinking blocks: only when the request asks for thinking and the profile exposes it", () => {
  for (const stream of [true, false]) {
    const mode = stream ? "streaming" : "not streaming";

    for (const thinking of ["enabled", "adaptive"] as const) {
      it(`${mode}: thinking ${thinking} on an expose profile shows the reasoning`, async () => {
        const { message, log } = await ask("expose", thinking, stream);
        expect(message.content).toEqual([
          { type: "thinking", thinking: "The user wants a greeting.", signature: "" },
          { type: "text", text: "Hello!" },
        ]);
        expect(log).not.toMatch(/thinking stripped/);
      });

      it(`${mode}: thinking ${thinking} on a strip profile drops it, and the request log says so once`, async () => {
        const { message, log } = await ask("strip", thinking, stream);
        expect(message.content).toEqual([{ type: "text", text: "Hello!" }]);
        expect(log.match(/thinking stripped by profile qwen3-coder-30b/g)).toHaveLength(1);
        expect(JSON.stringify(message)).not.toMatch(/stripped/);
      });
    }

    for (const thinking of ["disabled", "absent", "omitted"] as const) {
      for (const profile of ["expose", "strip"] as const) {
        it(`${mode}: thinking ${thinking} on a ${profile} profile shows none, and nothing is said`, async () => {
          const { message, log } = await ask(profile, thinking, stream);
          expect(message.content).toEqual([{ type: "text", text: "Hello!" }]);
          expect(log).not.toMatch(/thinking stripped/);
        });
      }
    }
  }
});
