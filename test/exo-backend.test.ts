/**
 * A backend of flavor exo, through a real mallex proxy (startProxy over a compiled YAML config) in
 * front of a fake exo: the model is placed on the cluster before its first request (previews, place,
 * await), once however many requests arrive together, never when it already runs, again when its
 * instance went away; a placement exo cannot make is a clear Anthropic error, not a hang.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadValidator } from "../src/shared/load-validator.js";
import { startProxy, type RunningProxy } from "../src/server/start-proxy.js";
import { createFakeExo, EXO_MODEL, type FakeExo, type FakeExoOptions } from "./fakes/fake-exo.js";
import { compileTree, packageRoot } from "./helpers/config-tree.js";
import { loadTemplatesFrom } from "./helpers/trim-helpers.js";

let validateMessages: Awaited<ReturnType<typeof loadValidator>>;
beforeAll(async () => {
  validateMessages = await loadValidator(packageRoot, "validate-messages");
});

const running: Array<{ exo: FakeExo; proxy: RunningProxy }> = [];
const moreExos: FakeExo[] = [];
afterEach(async () => {
  for (const { exo, proxy } of running.splice(0)) {
    await proxy.close();
    await exo.close();
  }
  await Promise.all(moreExos.splice(0).map((exo) => exo.close()));
});

/** The config a user writes for an exo cluster: one backend, one profile every tier uses. */
export const exoConfig = (baseUrl: string, backendExtra = "") => `backends:
  cluster: { kind: openai, flavor: exo, base_url: "${baseUrl}"${backendExtra} }
profiles:
  kimi: { backend: cluster, model: ${EXO_MODEL}, size: large }
tiers:
  medium: { profile: kimi }
`;

interface Setup {
  exo: FakeExo;
  proxy: RunningProxy;
  client: Anthropic;
  logs: string[];
}

async function setup(options: FakeExoOptions = {}, backendExtra = "", config = exoConfig): Promise<Setup> {
  const exo = await createFakeExo(options);
  const compiled = compileTree({ "mallex.yaml": config(exo.url, backendExtra) });
  expect(compiled.lines).toEqual([]);
  const table = compiled.table!;
  table.observability.requestLog = true;
  const logs: string[] = [];
  const proxy = await startProxy({
    table,
    validateMessages,
    templates: await loadTemplatesFrom(compiled.files!["templates.mjs"]!),
    env: {},
    mallexHome: mkdtempSync(join(tmpdir(), "mallex-home-")),
    port: 0,
    print: (line) => logs.push(line),
  });
  running.push({ exo, proxy });
  return { exo, proxy, logs, client: new Anthropic({ baseURL: proxy.url, apiKey: "local", maxRetries: 0 }) };
}

const ask = (content = "Say hello.") => ({ model: "claude-opus-4-8", max_tokens: 64, messages: [{ role: "user" as const, content }] });
const allRoutes = (exo: FakeExo) => exo.requests.map((r) => `${r.method} ${r.path.split("?")[0]}`);
/** What mallex asked exo after reading its model list for the context (GET /v1/models, at start). */
const routes = (exo: FakeExo) => allRoutes(exo).filter((route) => route !== "GET /v1/models");
const count = (exo: FakeExo, route: string) => routes(exo).filter((r) => r === route).length;
const text = (message: Anthropic.Message) => message.content.map((block) => (block.type === "text" ? block.text : "")).join("");

describe("backend flavor exo", () => {
  it("places the model before the first request (first valid preview, then awaited), then answers", async () => {
    const { exo, client, logs } = await setup();
    const message = await client.messages.create(ask("Say hello from the cluster."));
    expect(text(message)).toBe("Say hello from the cluster.");
    expect(allRoutes(exo)[0]).toBe("GET /v1/models");
    expect(routes(exo)).toEqual(["GET /state/instances", "GET /instance/previews", "POST /place_instance", "GET /instance/await", "POST /v1/chat/completions"]);
    expect(exo.requests.find((r) => r.path.startsWith("/instance/previews"))!.path).toBe(`/instance/previews?model_id=${encodeURIComponent(EXO_MODEL)}`);
    // The first preview without an error, as exo's PlaceInstanceParams: two machines in the preview, min_nodes 2.
    expect(exo.requests.find((r) => r.path === "/place_instance")!.body).toEqual({
      model_id: EXO_MODEL,
      sharding: "Pipeline",
      instance_meta: "MlxRing",
      min_nodes: 2,
    });
    // exo needs the model's name in the request.
    expect((exo.requests.at(-1)!.body as { model?: string }).model).toBe(EXO_MODEL);
    expect(logs.join("\n")).toContain(`backend cluster: ${EXO_MODEL} has no instance on exo; placing it (Pipeline, MlxRing, 2 machines)`);
    expect(logs.join("\n")).toContain(`backend cluster: ${EXO_MODEL} placed on exo (instance-1)`);

    // Placed: the next request goes straight to the chat completions.
    await client.messages.create(ask());
    expect(routes(exo).slice(5)).toEqual(["POST /v1/chat/completions"]);
  });

  it("places the model once when many first requests arrive together, and answers them all", async () => {
    const { exo, client } = await setup({ placeMs: 80 });
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => client.messages.create({ ...ask(`Turn ${i}.`), stream: false })));
    expect(answers.map(text)).toEqual(Array.from({ length: 6 }, (_, i) => `Turn ${i}.`));
    expect(count(exo, "POST /place_instance")).toBe(1);
    expect(count(exo, "GET /instance/previews")).toBe(1);
    expect(count(exo, "GET /state/instances")).toBe(1);
    expect(count(exo, "POST /v1/chat/completions")).toBe(6);
    expect(exo.placedModels()).toEqual([EXO_MODEL]);
  });

  it("uses an instance that already runs as is", async () => {
    const { exo, client, logs } = await setup({ placed: [EXO_MODEL] });
    const stream = client.messages.stream(ask("Streamed."));
    expect(await stream.finalText()).toBe("Streamed.");
    expect(routes(exo)).toEqual(["GET /state/instances", "POST /v1/chat/completions"]);
    expect(logs.join("\n")).toContain(`backend cluster: ${EXO_MODEL} already has an instance on exo (instance-1); using it`);
  });

  it("answers a placement exo cannot make with a clear Anthropic error, and tries again on the next request", async () => {
    const { exo, client } = await setup({ cluster: "too-small" });
    const error = await client.messages.create(ask()).then(
      () => expect.unreachable("the placement cannot succeed"),
      (thrown: unknown) => thrown as InstanceType<typeof Anthropic.APIError>,
    );
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error.status).toBe(503);
    expect((error.error as { error?: { type?: string } }).error?.type).toBe("api_error");
    expect(error.message).toContain(
      `exo at ${exo.url.replace(/\/v1$/, "")} cannot serve ${EXO_MODEL}: no placement of ${EXO_MODEL} fits the cluster (exo says: No cycles found with sufficient memory): free memory on its machines, add a machine, or pick a smaller model.`,
    );
    expect(count(exo, "POST /place_instance")).toBe(0);
    expect(count(exo, "POST /v1/chat/completions")).toBe(0);
    // A failure is not remembered: the cluster may have room by the next request.
    await expect(client.messages.create(ask())).rejects.toThrow(/No cycles found with sufficient memory/);
    expect(count(exo, "GET /instance/previews")).toBe(2);
  });

  it("says which model id exo does not know, from exo's own answer", async () => {
    const { proxy } = await setup({ models: ["mlx-community/Other-Model-4bit"] });
    const response = await fetch(`${proxy.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(ask()) });
    expect(response.status).toBe(503);
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe("error");
    expect(body.error.message).toMatch(
      /answered HTTP 400 to GET \/instance\/previews: Failed to load model card: .*; check that mlx-community\/Kimi-K2-Instruct-4bit is a model id exo lists at \/v1\/models\.$/,
    );
  });

  it("says exo is not reachable when nothing listens at the backend's URL", async () => {
    const { exo, proxy } = await setup();
    await exo.close();
    const response = await fetch(`${proxy.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(ask()) });
    expect(response.status).toBe(503);
    const body = (await response.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe("api_error");
    expect(body.error.message).toContain(`cluster at ${exo.url.replace(/\/v1$/, "")} is not reachable (ECONNREFUSED)`);
  });

  it("fails, rather than hangs, when exo accepts the placement but never creates the instance", async () => {
    const { exo, client } = await setup({ dropPlacement: true }, ", timeout_s: 1");
    await expect(client.messages.create(ask())).rejects.toThrow(
      /exo placed no instance within 1 s \(No instance found for model .*\); its master's log says why, or raise backends\.cluster\.timeout_s/,
    );
    expect(exo.requests.find((r) => r.path.startsWith("/instance/await"))!.path).toContain("timeout_seconds=1");
  });

  it("reads the await through exo's keep-alive comments, logging the wait as progress", async () => {
    const { exo, client, logs } = await setup({ placeMs: 250, keepAliveMs: 20 });
    const stream = client.messages.stream(ask("Through the comments."));
    expect(await stream.finalText()).toBe("Through the comments.");
    expect(count(exo, "POST /place_instance")).toBe(1);
    expect(logs.filter((line) => line.startsWith(`backend cluster: waiting for exo to place ${EXO_MODEL} (`)).length).toBeGreaterThan(2);
  });

  it("places the model on each exo cluster of a pool, once each, the placement counted as waiting for the model server", async () => {
    const second = await createFakeExo({ placeMs: 150 });
    moreExos.push(second);
    const pooled = (url: string) => exoConfig(url).replace(`base_url: "${url}"`, `urls: ["${url}", "${second.url}"]`);
    const { exo, client, logs } = await setup({ placeMs: 150 }, "", pooled);
    for (const session of ["s1", "s2", "s1", "s2"]) {
      const message = await client.messages.create(ask(`Hello ${session}.`), { headers: { "x-claude-code-session-id": session } });
      expect(text(message)).toBe(`Hello ${session}.`);
    }
    for (const cluster of [exo, second]) {
      expect(routes(cluster)).toEqual([
        "GET /state/instances",
        "GET /instance/previews",
        "POST /place_instance",
        "GET /instance/await",
        "POST /v1/chat/completions",
        "POST /v1/chat/completions",
      ]);
    }
    const lines = logs.filter((line) => line.startsWith("claude-opus-4-8 →"));
    expect(lines).toHaveLength(4);
    for (const first of lines.slice(0, 2)) expect(Number(/waited (\d+\.\d+) s for the model server/.exec(first)?.[1])).toBeGreaterThanOrEqual(0.15);
    for (const placed of lines.slice(2)) expect(placed).not.toMatch(/waited/);
  });

  it("lets a client that hangs up during the placement go, and the placement goes on for the next request", async () => {
    const { exo, client, logs } = await setup({ placeMs: 200 });
    const gone = new AbortController();
    const first = client.messages.create(ask(), { signal: gone.signal });
    await expect.poll(() => count(exo, "GET /instance/await")).toBe(1);
    gone.abort();
    await expect(first).rejects.toThrow(/abort/i);
    expect(text(await client.messages.create(ask("Still placed once.")))).toBe("Still placed once.");
    expect(count(exo, "POST /place_instance")).toBe(1);
    expect(count(exo, "GET /instance/await")).toBe(1);
    expect(logs.filter((line) => line.includes("client disconnected"))).toHaveLength(1);
  });

  it("places the model again when exo says its instance went away, and the request still gets its answer", async () => {
    const { exo, client } = await setup();
    await client.messages.create(ask());
    exo.removeInstance(EXO_MODEL);
    const message = await client.messages.create(ask("After the instance left."));
    expect(text(message)).toBe("After the instance left.");
    expect(routes(exo).slice(5)).toEqual([
      "POST /v1/chat/completions",
      "GET /state/instances",
      "GET /instance/previews",
      "POST /place_instance",
      "GET /instance/await",
      "POST /v1/chat/completions",
    ]);
  });
});
