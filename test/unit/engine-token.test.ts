import { describe, expect, it } from "vitest";
import { ENGINE_BODY_HEADROOM_BYTES } from "../../src/engine/guard-engine-request.js";
import { supervisedSpec } from "../../src/backends/supervisor-pool.js";
import { withEngineToken } from "../../src/server/with-engine-token.js";
import { probeReadiness, type ProbeRequest } from "../../src/supervisor/probe-readiness.js";
import { compileTree } from "../helpers/config-tree.js";

const CONFIG = `backends:
  engine: { kind: openai, flavor: embedded, api_key: "x", supervise: { command: "{mallex} engine --model {model} --host {host} --port {port}" } }
  mlx: { kind: openai, flavor: mlx-lm, supervise: { command: "mlx_lm.server --port {port}" } }
profiles:
  tiny: { backend: engine, model: /m/tiny.gguf, size: small }
  big: { backend: mlx, model: mlx-community/Big-4bit, size: large }
tiers:
  medium: { profile: tiny }
`;

describe("the embedded engine's per-start token", () => {
  it("goes to the engines mallex starts: in their environment, their readiness probe and every request's headers (no api_key to override it)", () => {
    const compiled = compileTree({ "mallex.yaml": CONFIG });
    expect(compiled.lines.join("\n")).toBe("");
    const table = withEngineToken(compiled.table!, "tok-1");
    expect(table.backends.engine!.headers.authorization).toBe("Bearer tok-1");
    expect(table.backends.engine!.apiKey).toBeUndefined();
    const spec = supervisedSpec(table.profiles.tiny!, table.backends.engine!, {});
    expect(spec.env).toEqual({ MALLEX_ENGINE_TOKEN: "tok-1", MALLEX_ENGINE_MAX_BODY_BYTES: String(32 * 1024 * 1024 + ENGINE_BODY_HEADROOM_BYTES) });
    expect(spec.probeHeaders).toEqual({ authorization: "Bearer tok-1" });
    // Not an engine, and nothing in the compiled table itself.
    expect(table.backends.mlx!.headers.authorization).toBeUndefined();
    expect(supervisedSpec(table.profiles.big!, table.backends.mlx!, {}).env).toBeUndefined();
    expect(JSON.stringify(compiled.table)).not.toContain("tok-1");
  });

  it("goes with the proxy's own body limit (server.max_body_mb), not a fixed 32 MB; a --server-command is not mallex's engine and gets neither", () => {
    for (const mb of [1, 8, 100]) {
      const compiled = compileTree({ "mallex.yaml": `server: { max_body_mb: ${mb} }\n${CONFIG}` });
      expect(compiled.lines.join("\n")).toBe("");
      const table = withEngineToken(compiled.table!, "tok-1");
      expect(table.server.maxBodyBytes).toBe(mb * 1024 * 1024);
      const spec = supervisedSpec(table.profiles.tiny!, table.backends.engine!, {});
      expect(spec.env?.MALLEX_ENGINE_MAX_BODY_BYTES).toBe(String(mb * 1024 * 1024 + ENGINE_BODY_HEADROOM_BYTES));
      expect(supervisedSpec(table.profiles.tiny!, table.backends.engine!, { serverCommand: "llama-server -m /m/tiny.gguf --port {port}" }).env).toBeUndefined();
    }
  });

  it("the readiness probe sends the headers, and a 401 (an engine holding another mallex's token) is a refusal at once, not a wait", async () => {
    const seen: Array<Record<string, string> | undefined> = [];
    const request: ProbeRequest = async (_url, init) => {
      seen.push(init.headers);
      return { status: 401, body: JSON.stringify({ error: { message: "the mallex engine answers only the mallex that started it" } }) };
    };
    let now = 0;
    const result = await probeReadiness({
      baseUrl: "http://127.0.0.1:1/v1",
      probe: "health",
      timeoutMs: 60_000,
      signal: new AbortController().signal,
      request,
      now: () => (now += 1),
      headers: { authorization: "Bearer tok-2" },
    });
    expect(result).toEqual({
      ok: false,
      reason: "rejected",
      message: "it refused the readiness probe with 401: the mallex engine answers only the mallex that started it",
    });
    expect(seen).toEqual([{ authorization: "Bearer tok-2" }]);
  });
});
