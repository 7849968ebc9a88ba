/**
 * /ui/api/models in-process (the app's fetch, no port): the list the dashboard's Models tab shows, for
 * the live table, behind the same token and origin check as every /ui/api route; said when this mallex
 * has none, or when listing failed; what could not be read of MALLEX_HOME logged once. (The built CLI's
 * `mallex proxy` loads none of it at start: test/proxy-start-modules.test.ts.)
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RoutingTable } from "../src/compile/routing-table.js";
import { createDashboardFeed } from "../src/observe/dashboard/dashboard-feed.js";
import type { ListModels } from "../src/observe/dashboard/dashboard-context.js";
import { packageRoot } from "./helpers/config-tree.js";
import { createTestProxy, defaultTable } from "./helpers/test-proxy.js";

function proxyWith(listModels: ListModels | undefined, authToken?: string, modelsDir?: string) {
  const feed = createDashboardFeed({ table: defaultTable, maxRequests: 10, maxExplanations: 10, maxClients: 2, pollMs: 50, date: () => new Date() });
  return createTestProxy({
    ctx: {
      dashboard: {
        feed,
        assetsDir: join(packageRoot, "dist", "ui"),
        showPrompts: false,
        heartbeatMs: 20,
        ...(listModels ? { listModels } : {}),
        ...(modelsDir ? { modelsDir } : {}),
      },
      ...(authToken ? { authToken } : {}),
    },
  });
}

const errorOf = async (response: Response) => ((await response.json()) as { error: { message: string } }).error.message;

describe("/ui/api/models", () => {
  it("answers the list for the live table, and logs what could not be read of MALLEX_HOME once", async () => {
    const tables: RoutingTable[] = [];
    const proxy = proxyWith(async (table) => {
      tables.push(table);
      return { models: [{ name: "m", state: "on disk" }], problems: ["eval history: x.json is skipped: not a JSON object"] };
    });
    for (let i = 0; i < 2; i++) {
      const response = await proxy.fetch("/ui/api/models");
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual([{ name: "m", state: "on disk" }]);
    }
    expect(tables).toEqual([proxy.ctx.table, proxy.ctx.table]);
    expect(proxy.logs.filter((line) => line.includes("x.json"))).toEqual(["dashboard: models: eval history: x.json is skipped: not a JSON object"]);
  });

  it("names the folder the page may remove a model from beside the list (x-mallex-models-dir, URI-encoded), the body still the list alone", async () => {
    const dir = "/home/zoë/.mallex/models";
    const response = await proxyWith(async () => ({ models: [{ name: "m" }], problems: [] }), undefined, dir).fetch("/ui/api/models");
    expect(decodeURIComponent(response.headers.get("x-mallex-models-dir") ?? "")).toBe(dir);
    expect(await response.json()).toEqual([{ name: "m" }]);
    expect((await proxyWith(async () => ({ models: [], problems: [] })).fetch("/ui/api/models")).headers.has("x-mallex-models-dir")).toBe(false);
  });

  it("is refused without the token and to another web site; says when this mallex lists none, and when listing failed", async () => {
    let asked = 0;
    const proxy = proxyWith(async () => {
      asked++;
      return { models: [], problems: [] };
    }, "tok-123");
    expect((await proxy.fetch("/ui/api/models")).status).toBe(401);
    expect((await proxy.fetch("/ui/api/models", { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    for (const headers of [{ origin: "http://evil.example" }, { "sec-fetch-site": "cross-site" }] as Array<Record<string, string>>)
      expect((await proxy.fetch("/ui/api/models", { headers: { ...headers, authorization: "Bearer tok-123" } })).status).toBe(403);
    expect(asked).toBe(0);
    expect((await proxy.fetch("/ui/api/models", { headers: { authorization: "Bearer tok-123" } })).status).toBe(200);

    const none = await proxyWith(undefined).fetch("/ui/api/models");
    expect(none.status).toBe(404);
    expect(await errorOf(none)).toBe("This mallex lists no models: it was started without the mallex command, which lists them.");
    const failing = await proxyWith(async () => {
      throw new Error("EACCES: permission denied, scandir '/m'");
    }).fetch("/ui/api/models");
    expect(failing.status).toBe(500);
    expect(await errorOf(failing)).toBe("mallex could not list this machine's models: EACCES: permission denied, scandir '/m'");
  });
});
