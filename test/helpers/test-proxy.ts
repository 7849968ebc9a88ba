import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { resolveBackends } from "../../src/backends/resolve-backends.js";
import { createUpstreamClient } from "../../src/backends/upstream-client.js";
import { beforeAll } from "vitest";
import type { RoutingTable } from "../../src/compile/routing-table.js";
import { loadValidator } from "../../src/shared/load-validator.js";
import { loadTemplates, type Templates } from "../../src/templates/load-templates.js";
import { compileRouterRules } from "../../src/router/compile-rules.js";
import { createClassifierCache } from "../../src/router/classifier-cache.js";
import { createSessionStore } from "../../src/router/session-store.js";
import { createToolSchemaCache } from "../../src/tools/check-tool-call.js";
import { createPrefixCache } from "../../src/trim/prefix-cache.js";
import { createApp } from "../../src/server/create-app.js";
import { createMallexMetrics } from "../../src/observe/mallex-metrics.js";
import type { ServerContext } from "../../src/pipeline/server-context.js";
import { collectSecrets, createRedactor } from "../../src/observe/redact-secrets.js";
import { packageRoot } from "./config-tree.js";
import { readCapture } from "./shared-dir.js";

/**
 * The shipped default routing table, as committed in generated/. Read in a beforeAll hook of each test
 * file that imports this helper (a live binding, set before its first test), never while the file is
 * collected: a generated/ that cannot be read (stale, or being regenerated) then fails only the tests
 * that use it, with its reason, instead of every test of every file importing this helper.
 */
export let defaultTable: RoutingTable;
let shared: { validateMessages: ServerContext["validateMessages"]; templates: Templates } | Error | undefined;

beforeAll(async () => {
  try {
    defaultTable = JSON.parse(readFileSync(`${packageRoot}/generated/routing-table.json`, "utf8")) as RoutingTable;
    shared = { validateMessages: await loadValidator(packageRoot, "validate-messages"), templates: await loadTemplates(`${packageRoot}/generated`) };
  } catch (error) {
    shared = new Error(`the shipped generated/ cannot be loaded (run \`npm run codegen\` and \`node bin/mallex.js compile\`): ${(error as Error).message}`, {
      cause: error,
    });
  }
});

/** What createTestProxy needs from generated/; throws, in the test that asks, when it could not be read. */
function sharedFixtures(): Exclude<typeof shared, Error | undefined> {
  if (shared === undefined) throw new Error("createTestProxy() runs in a test or hook, after this helper's beforeAll has read generated/");
  if (shared instanceof Error) throw shared;
  return shared;
}

export interface TestProxy {
  fetch(path: string, init?: RequestInit): Promise<Response>;
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  logs: string[];
  ctx: ServerContext;
}

/** The h3 app over a routing table, called in-process (no port), with deterministic ids. */
export function createTestProxy(
  options: { backendUrl?: string; table?: RoutingTable; env?: Record<string, string>; ctx?: Partial<ServerContext> } = {},
): TestProxy {
  const logs: string[] = [];
  let next = 0;
  let nextRequest = 0;
  // Built on first use, in a test or hook (a describe body may call this while its file is collected).
  let built: { ctx: ServerContext; app: ReturnType<typeof createApp> } | undefined;
  const build = () => {
    if (built) return built;
    const { validateMessages, templates } = sharedFixtures();
    const table = options.table ?? defaultTable;
    const backends = resolveBackends(table, options.env ?? {}, options.backendUrl ? { backendUrl: options.backendUrl } : {});
    const ctx: ServerContext = {
      table,
      rules: compileRouterRules(table),
      backends,
      redact: createRedactor(collectSecrets(table, backends, options.env ?? {}, undefined)),
      sessions: createSessionStore(),
      classifierCache: createClassifierCache(),
      templates,
      schemaCache: createToolSchemaCache(),
      prefixCache: createPrefixCache(),
      validateMessages,
      pingIntervalMs: 10_000,
      requestTimeoutMs: 30_000,
      answerTimeoutMs: 3_600_000,
      upstream: createUpstreamClient(),
      metrics: createMallexMetrics(),
      log: (line) => logs.push(line),
      loadedAt: "2026-01-01T00:00:00.000Z",
      deps: {
        now: () => performance.now(),
        generateId: (prefix) => `${prefix}_test${String(++next).padStart(4, "0")}`,
        requestId: () => `req_test${String(++nextRequest).padStart(4, "0")}`,
      },
      ...options.ctx,
    };
    built = { ctx, app: createApp(ctx) };
    return built;
  };
  const fetch = (path: string, init?: RequestInit) => Promise.resolve(build().app.fetch(new Request(`http://127.0.0.1${path}`, init)));
  return {
    fetch,
    post: (path, body, headers = {}) =>
      fetch(path, {
        method: "POST",
        body: typeof body === "string" ? body : JSON.stringify(body),
        headers: { "content-type": "application/json", ...headers },
      }),
    logs,
    get ctx() {
      return build().ctx;
    },
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
