import { describe, expect, it } from "vitest";
import { BackendError } from "../../src/backends/backend-error.js";
import { exoOrigin, instancesOfModel, isNoInstanceError, parseAwaitMessage, pickPlacement } from "../../src/backends/exo/exo-api.js";

const MODEL = "mlx-community/Kimi-K2-Instruct-4bit";
const instance = (nodes: string[], model = MODEL) => ({
  MlxRingInstance: {
    instanceId: "i-1",
    shardAssignments: { modelId: model, runnerToShard: {}, nodeToRunner: Object.fromEntries(nodes.map((n) => [n, `r-${n}`])) },
    hostsByNode: {},
    ephemeralPort: 1,
  },
});
const failed = (sharding: string, meta: string, error: string) => ({
  model_id: MODEL,
  sharding,
  instance_meta: meta,
  instance: null,
  memory_delta_by_node: null,
  error,
});

describe("pickPlacement", () => {
  it("takes the first preview without an error, with its machine count as min_nodes", () => {
    const answer = {
      previews: [
        failed("Pipeline", "MlxJaccl", "Requested RDMA (MlxJaccl) but no RDMA-connected cycles available"),
        { model_id: MODEL, sharding: "Tensor", instance_meta: "MlxRing", instance: instance(["a", "b", "c"]), memory_delta_by_node: {}, error: null },
        { model_id: MODEL, sharding: "Pipeline", instance_meta: "MlxRing", instance: instance(["a"]), memory_delta_by_node: {}, error: null },
      ],
    };
    expect(pickPlacement(answer, MODEL)).toEqual({
      ok: true,
      params: { model_id: MODEL, sharding: "Tensor", instance_meta: "MlxRing", min_nodes: 3 },
      nodes: 3,
    });
  });

  it("gives exo's reasons, once each, when no placement fits", () => {
    const answer = {
      previews: [
        failed("Pipeline", "MlxRing", "No cycles found with sufficient memory"),
        failed("Tensor", "MlxRing", "No cycles found with sufficient memory"),
      ],
    };
    expect(pickPlacement(answer, MODEL)).toEqual({
      ok: false,
      reason: `no placement of ${MODEL} fits the cluster (exo says: No cycles found with sufficient memory): free memory on its machines, add a machine, or pick a smaller model`,
    });
  });

  it("says when exo sees no machine, or its answer has no previews", () => {
    expect(pickPlacement({ previews: [] }, MODEL)).toMatchObject({ ok: false, reason: expect.stringContaining("exo sees no machine in its cluster") });
    expect(pickPlacement({ detail: "x" }, MODEL)).toEqual({ ok: false, reason: "exo's /instance/previews answer has no previews list" });
    expect(pickPlacement(null, MODEL)).toMatchObject({ ok: false });
  });

  it("refuses a placement under another model id, which exo would never match to the profile's requests", () => {
    const answer = { previews: [{ model_id: "mlx-community/Other", sharding: "Pipeline", instance_meta: "MlxRing", instance: instance(["a"]), error: null }] };
    expect(pickPlacement(answer, MODEL)).toEqual({
      ok: false,
      reason: `exo knows ${MODEL} as mlx-community/Other: set the profile's model to mlx-community/Other`,
    });
  });
});

describe("parseAwaitMessage", () => {
  it("reads ready with the instance id (snake_case, as /instance/await writes it) and timeout with its message", () => {
    expect(parseAwaitMessage(JSON.stringify({ type: "ready", instance: { MlxJacclInstance: { instance_id: "i-9", shard_assignments: {} } } }))).toEqual({
      type: "ready",
      instanceId: "i-9",
    });
    expect(parseAwaitMessage(JSON.stringify({ type: "timeout", message: `No instance found for model ${MODEL}` }))).toEqual({
      type: "timeout",
      message: `No instance found for model ${MODEL}`,
    });
  });

  it("calls anything else unknown, keeping what it was", () => {
    expect(parseAwaitMessage("not json")).toEqual({ type: "unknown", data: "not json" });
    expect(parseAwaitMessage('{"type":"loading"}')).toEqual({ type: "unknown", data: '{"type":"loading"}' });
  });
});

describe("instancesOfModel", () => {
  it("finds the model's instances in /state/instances, camelCase or snake_case", () => {
    const state = {
      "i-1": instance(["a"]),
      "i-2": instance(["a"], "other/model"),
      "i-3": { MlxJacclInstance: { instance_id: "i-3", shard_assignments: { model_id: MODEL } } },
    };
    expect(instancesOfModel(state, MODEL)).toEqual(["i-1", "i-3"]);
    expect(instancesOfModel({}, MODEL)).toEqual([]);
    expect(instancesOfModel(null, MODEL)).toEqual([]);
  });
});

describe("isNoInstanceError", () => {
  const http = (status: number, body: string) => new BackendError("http", `cluster answered HTTP ${status}`, { backend: "cluster", url: "u", status, body });
  it("is exo's 404 for a model without an instance, nothing else", () => {
    expect(isNoInstanceError(http(404, `{"error":{"message":"No instance found for model ${MODEL}","type":"Not Found","param":null,"code":404}}`))).toBe(true);
    expect(isNoInstanceError(http(404, '{"error":{"message":"Not Found"}}'))).toBe(false);
    expect(isNoInstanceError(http(500, `No instance found for model ${MODEL}`))).toBe(false);
    expect(isNoInstanceError(new Error(`No instance found for model ${MODEL}`))).toBe(false);
  });
});

describe("exoOrigin", () => {
  it("is the base URL without /v1, where exo's own routes live", () => {
    expect(exoOrigin("http://studio.local:52415/v1")).toBe("http://studio.local:52415");
    expect(exoOrigin("http://studio.local:52415/v1/")).toBe("http://studio.local:52415");
    expect(exoOrigin("http://studio.local:52415")).toBe("http://studio.local:52415");
  });
});
