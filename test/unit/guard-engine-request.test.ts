import { H3 } from "h3";
import { describe, expect, it } from "vitest";
import { engineBodyText, guardEngineRequest, type EngineGuard } from "../../src/engine/guard-engine-request.js";

/** The guard in front of a route that echoes the body it read: what the engine app's routes see. */
function app(guard: EngineGuard) {
  return new H3().use(guardEngineRequest(guard, () => {})).post("/v1/chat/completions", async (event) => ({ body: await engineBodyText(event) }));
}
const post = (url: string, headers: Record<string, string> = {}, body = "{}") => ({
  url,
  init: { method: "POST", headers: { "content-type": "application/json", ...headers }, body },
});

describe("guardEngineRequest", () => {
  it("serves loopback names and --host; --allowed-hosts adds the LAN name a hand-run engine is called by", async () => {
    const local = app({ host: "0.0.0.0", maxBodyBytes: 1024 });
    for (const host of ["127.0.0.1:8080", "localhost:8080", "[::1]:8080"]) {
      const { url, init } = post(`http://${host}/v1/chat/completions`);
      expect((await local.fetch(new Request(url, init))).status).toBe(200);
    }
    const { url, init } = post("http://studio.lan:8080/v1/chat/completions");
    const refused = await local.fetch(new Request(url, init));
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
      /^the mallex engine does not answer requests for host "studio\.lan:8080"/,
    );
    const lan = app({ host: "0.0.0.0", maxBodyBytes: 1024, allowedHosts: ["studio.lan"] });
    expect(await (await lan.fetch(new Request(url, init))).json()).toEqual({ body: "{}" });
  });

  it("reads the body once for the route, under the limit; past it a 413 in OpenAI's shape", async () => {
    const guarded = app({ host: "127.0.0.1", maxBodyBytes: 16, token: "t" });
    const small = post("http://127.0.0.1/v1/chat/completions", { authorization: "Bearer t" }, '{"a":1}');
    expect(await (await guarded.fetch(new Request(small.url, small.init))).json()).toEqual({ body: '{"a":1}' });
    const big = post("http://127.0.0.1/v1/chat/completions", { authorization: "Bearer t" }, "x".repeat(17));
    const refused = await guarded.fetch(new Request(big.url, big.init));
    expect(refused.status).toBe(413);
    expect(await refused.json()).toEqual({
      error: { message: "the request body is larger than the mallex engine accepts (16 bytes)", type: "invalid_request_error", param: null, code: null },
    });
  });
});
