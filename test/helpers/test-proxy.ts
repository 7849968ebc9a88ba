import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { resolveBackends } from "../../src/backends/resolve-backends.js";
import type { RoutingTable } from "../../src/compile/routing-table.js";
import { loadValidator } from "../../src/load-validator.js";
import { loadTemplates } from "../../src/templates/load-templates.js";
import { compileRouterRules } from "../../src/router/compile-rules.js";
import { createSessionStore } from "../../src/router/session-store.js";
import { createToolSchemaCache } from "../../src/tools/check-tool-call.js";
import { createApp } from "../../src/server/create-app.js";
import type { ServerContext } from "../../src/server/server-context.js";
import { packageRoot } from "./config-tree.js";
import { readCapture } from "./shared-dir.js";

/** The shipped default routing table, as committed in generated/. */
export const defaultTable = JSON.parse(readFileSync(`${packageRoot}/generated/routing-table.json`, "utf8")) as RoutingTable;
const validateMessages = await loadValidator(packageRoot, "validate-messages");
const templates = await loadTemplates(`${packageRoot}/generated`);

export interface TestProxy {
  fetch(path: string, init?: RequestInit): Promise<Response>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  logs: string[];
  ctx: ServerContext;
}

/** The h3 app over a routing table, called in-process (no port), with deterministic ids. */
export function createTestProxy(options: { backendUrl?: string; table?: RoutingTable; env?: Record<string, string>; ctx?: Partial<ServerContext> } = {}): TestProxy {
  const table = options.table ?? defaultTable;
  const logs: string[] = [];
  let next = 0;
  let nextRequest = 0;
  const ctx: ServerContext = {
    table,
    rules: compileRouterRules(table),
    backends: resolveBackends(table, options.env ?? {}, options.backendUrl ? { backendUrl: options.backendUrl } : {}),
    sessions: createSessionStore(),
    templates,
    schemaCache: createToolSchemaCache(),
    validateMessages,
    pingIntervalMs: 10_000,
    requestTimeoutMs: 30_000,
    log: (line) => logs.push(line),
    loadedAt: "2026-01-01T00:00:00.000Z",
    deps: {
      now: () => performance.now(),
      generateId: (prefix) => `${prefix}_test${String(++next).padStart(4, "0")}`,
      requestId: () => `req_test${String(++nextRequest).padStart(4, "0")}`,
    },
    ...options.ctx,
  };
  const app = createApp(ctx);
  const fetch = (path: string, init?: RequestInit) => Promise.resolve(app.fetch(new Request(`http://127.0.0.1${path}`, init)));
  return {
    fetch,
    post: (path, body, headers = {}) =>
      fetch(path, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json", ...headers } }),
    logs,
    ctx,
  };
}

/** An OpenAI base URL where nothing listens (a port that was free a moment ago). */
export async function closedBackendUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/v1`;
}

/** A captured Claude Code request body from ../shared (use it inside describeWithShared). */
export const fixture = (name: string) => readCapture(name).body;
