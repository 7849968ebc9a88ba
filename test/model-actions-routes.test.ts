/**
 * The Models page's POST routes in-process (app.fetch, no port), over actions that record their
 * calls: each is behind the origin guard and the token, takes JSON only, answers a refusal in the
 * error envelope, and a download streams its events as JSON lines and stops when its client goes.
 * test/model-actions-cli.test.ts runs the real actions in a real `mallex proxy`.
 */
import { describe, expect, it } from "vitest";
import { createDashboardFeed } from "../src/observe/dashboard/dashboard-feed.js";
import { createApp } from "../src/server/create-app.js";
import type { ModelActions } from "../src/server/routes/model-actions.js";
import { createTestProxy, defaultTable } from "./helpers/test-proxy.js";

const TOKEN = "tok-models-123";
const ROUTES = ["/ui/api/models/tier/plan", "/ui/api/models/tier/apply", "/ui/api/models/download", "/ui/api/models/remove", "/ui/api/models/eval"];

function appWith(options: { actions?: boolean; download?: ModelActions["download"] } = {}) {
  const calls: Array<[string, unknown]> = [];
  const result = (name: string) => async (body: unknown) => {
    calls.push([name, body]);
    return name === "startEval" ? { ok: true as const, status: 202, value: { started: name } } : { ok: true as const, value: { done: name } };
  };
  const actions: ModelActions = {
    planTierChange: result("planTierChange"),
    applyTierChange: result("applyTierChange"),
    removeModel: result("removeModel"),
    startEval: result("startEval"),
    download:
      options.download ??
      ((body) => {
        calls.push(["download", body]);
        return Promise.resolve({ ok: true, run: () => Promise.resolve({ ok: true, value: { path: "/m/x.gguf" } }) });
      }),
  };
  const feed = createDashboardFeed({ table: defaultTable, maxRequests: 10, maxExplanations: 10, maxClients: 2, pollMs: 50, date: () => new Date() });
  const proxy = createTestProxy({ ctx: { authToken: TOKEN, dashboard: { feed, assetsDir: "/nowhere", showPrompts: false, heartbeatMs: 1000 } } });
  const app = createApp(proxy.ctx, options.actions === false ? {} : { modelActions: actions });
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    Promise.resolve(
      app.fetch(
        new Request(`http://127.0.0.1:4141${path}`, {
          method: "POST",
          body,
          headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...headers },
        }),
      ),
    );
  return { post, calls };
}

const messageOf = async (response: Response) => ((await response.json()) as { error: { message: string } }).error.message;

describe("the Models page's actions over HTTP", () => {
  it("refuses every action without the token, with another token, from another origin or site, and a body that is not JSON: no action runs", async () => {
    const { post, calls } = appWith();
    for (const path of ROUTES) {
      const noToken = await post(path, "{}", { authorization: "" });
      expect(noToken.status, path).toBe(401);
      expect(await messageOf(noToken)).toBe("This mallex requires its token: send the token from mallex's config as Authorization: Bearer.");
      expect((await post(path, "{}", { authorization: "Bearer wrong" })).status, path).toBe(401);
      const foreign = await post(path, "{}", { origin: "http://evil.example" });
      expect(foreign.status, path).toBe(403);
      expect(await messageOf(foreign)).toMatch(/^mallex does not answer browser requests from http:\/\/evil\.example/);
      expect((await post(path, "{}", { "sec-fetch-site": "cross-site" })).status, path).toBe(403);
      // What an HTML form can post without asking (CORS "simple" requests): never an action.
      const form = await post(path, "tier=low", { "content-type": "application/x-www-form-urlencoded" });
      expect(form.status, path).toBe(415);
      expect((await post(path, "{", {})).status, path).toBe(400);
    }
    expect(calls).toEqual([]);
  });

  it("runs each action with the token from the page's own origin, its body as sent; 404 where this mallex offers none", async () => {
    const { post, calls } = appWith();
    const answers = [];
    for (const path of ROUTES) {
      const response = await post(path, JSON.stringify({ path }), { origin: "http://127.0.0.1:4141" });
      answers.push([response.status, response.headers.get("content-type")]);
    }
    expect(answers).toEqual([
      [200, "application/json"],
      [200, "application/json"],
      [200, "application/x-ndjson; charset=utf-8"],
      [200, "application/json"],
      [202, "application/json"],
    ]);
    expect(calls.map(([name]) => name)).toEqual(["planTierChange", "applyTierChange", "download", "removeModel", "startEval"]);
    expect(calls[0]![1]).toEqual({ path: ROUTES[0] });

    const none = await appWith({ actions: false }).post(ROUTES[0]!, "{}");
    expect(none.status).toBe(404);
    expect(await messageOf(none)).toBe("mallex serves no Models page actions here");
  });

  it("answers a refusal in the error envelope, its status and sentence the action's", async () => {
    const { post } = appWith({ download: () => Promise.resolve({ ok: false, status: 400, message: '"/etc/passwd" is not a Hugging Face reference' }) });
    const refused = await post("/ui/api/models/download", JSON.stringify({ ref: "/etc/passwd" }));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: '"/etc/passwd" is not a Hugging Face reference' },
    });
  });

  it("streams a download's progress as JSON lines, then its end; a client that goes away stops it", async () => {
    let stopped: AbortSignal | undefined;
    const { post } = appWith({
      download: async () => ({
        ok: true,
        run: async (progress, signal) => {
          progress({ type: "progress", line: "x.gguf:  50%|█████     | 1B/2B", percent: 50 });
          await Promise.resolve();
          stopped = signal;
          progress({ type: "progress", line: "x.gguf: 100%|██████████| 2B/2B", percent: 100 });
          return { ok: true, value: { ref: "hf:o/r/x.gguf", path: "/m/x.gguf", sizeBytes: 2 } };
        },
      }),
    });
    const response = await post("/ui/api/models/download", JSON.stringify({ ref: "hf:o/r/x.gguf" }));
    const lines = (await response.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as unknown);
    expect(lines).toEqual([
      { type: "progress", line: "x.gguf:  50%|█████     | 1B/2B", percent: 50 },
      { type: "progress", line: "x.gguf: 100%|██████████| 2B/2B", percent: 100 },
      { type: "done", ref: "hf:o/r/x.gguf", path: "/m/x.gguf", sizeBytes: 2 },
    ]);
    expect(stopped?.aborted).toBe(false);

    let signalled: AbortSignal | undefined;
    const slow = appWith({
      download: async () => ({
        ok: true,
        run: (progress, signal) => {
          signalled = signal;
          progress({ type: "progress", line: "x", percent: 1 });
          return new Promise((resolve) => signal.addEventListener("abort", () => resolve({ ok: false, status: 409, message: "stopped" })));
        },
      }),
    });
    const streaming = await slow.post("/ui/api/models/download", JSON.stringify({ ref: "hf:o/r/x.gguf" }));
    const reader = streaming.body!.getReader();
    await reader.read();
    await reader.cancel();
    expect(signalled?.aborted).toBe(true);
  });
});
