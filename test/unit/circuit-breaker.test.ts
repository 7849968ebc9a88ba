import { describe, expect, it } from "vitest";
import { BackendError } from "../../src/backends/backend-error.js";
import { createCircuitBreakers, outcomeOfError, retryAfterOf } from "../../src/backends/circuit-breaker.js";
import { createMallexMetrics, renderMetrics } from "../../src/observe/mallex-metrics.js";

function setUp(options: { failureThreshold?: number; coolDownMs?: number; maxCoolDownMs?: number } = {}) {
  const clock = { t: 1_000 };
  const breakers = createCircuitBreakers({ failureThreshold: 3, coolDownMs: 10_000, maxCoolDownMs: 60_000, ...options, now: () => clock.t });
  const fail = (retryAfterMs?: number) => breakers.begin("api").end({ ok: false, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  const succeed = () => breakers.begin("api").end({ ok: true });
  return { clock, breakers, fail, succeed };
}

describe("circuit breaker", () => {
  it("stays closed below the threshold, and a success resets the count", () => {
    const { breakers, fail, succeed } = setUp();
    fail();
    fail();
    succeed();
    fail();
    fail();
    expect(breakers.state("api")).toBe("closed");
    expect(breakers.check("api")).toEqual({ ok: true });
    expect(breakers.state("other")).toBe("closed");
  });

  it("opens after N consecutive failures for the cool-down, then lets exactly one probe through", () => {
    const { clock, breakers, fail } = setUp();
    fail();
    fail();
    fail();
    expect(breakers.state("api")).toBe("open");
    expect(breakers.check("api")).toEqual({
      ok: false,
      reason: "backend api failed 3 times in a row (circuit open; trying again in 10 s)",
      retryAfterMs: 10_000,
    });
    clock.t += 9_999;
    expect(breakers.state("api")).toBe("open");
    clock.t += 1;
    expect(breakers.state("api")).toBe("half-open");
    expect(breakers.check("api")).toEqual({ ok: true });
    expect(breakers.check("api")).toEqual({ ok: true }); // asking takes nothing
    const probe = breakers.begin("api");
    expect(breakers.check("api")).toMatchObject({ ok: false, reason: expect.stringContaining("one request is probing it"), retryAfterMs: 1000 });
    probe.end({ ok: true });
    expect(breakers.state("api")).toBe("closed");
    expect(breakers.check("api")).toEqual({ ok: true });
  });

  it("a failed probe opens it again for another cool-down", () => {
    const { clock, breakers, fail } = setUp();
    for (let i = 0; i < 3; i++) fail();
    clock.t += 10_000;
    breakers.begin("api").end({ ok: false });
    expect(breakers.state("api")).toBe("open");
    clock.t += 10_000;
    expect(breakers.state("api")).toBe("half-open");
  });

  it("a probe that ends neutral (the client left) frees the probe and changes nothing", () => {
    const { clock, breakers, fail } = setUp();
    for (let i = 0; i < 3; i++) fail();
    clock.t += 10_000;
    const probe = breakers.begin("api");
    probe.end("neutral");
    probe.end({ ok: false }); // a ticket ends once
    expect(breakers.state("api")).toBe("half-open");
    expect(breakers.check("api")).toEqual({ ok: true });
  });

  it("honours retry-after when it is longer than the cool-down, up to the maximum", () => {
    const { clock, breakers, fail } = setUp();
    fail();
    fail();
    fail(25_000);
    clock.t += 24_999;
    expect(breakers.state("api")).toBe("open");
    clock.t += 1;
    expect(breakers.state("api")).toBe("half-open");
    breakers.begin("api").end({ ok: false, retryAfterMs: 3_600_000 });
    clock.t += 59_999;
    expect(breakers.state("api")).toBe("open");
    clock.t += 1;
    expect(breakers.state("api")).toBe("half-open");
  });

  it("a call begun before the breaker opened neither closes it nor extends it", () => {
    const { clock, breakers, fail } = setUp();
    const slow = breakers.begin("api");
    const slower = breakers.begin("api");
    for (let i = 0; i < 3; i++) fail();
    slow.end({ ok: true });
    expect(breakers.state("api")).toBe("open");
    clock.t += 10_000;
    slower.end({ ok: false });
    expect(breakers.state("api")).toBe("half-open");
  });

  it("keeps each backend's state apart", () => {
    const { breakers, fail } = setUp();
    for (let i = 0; i < 3; i++) fail();
    expect(breakers.state("api")).toBe("open");
    expect(breakers.check("local")).toEqual({ ok: true });
  });
});

describe("outcomes", () => {
  const error = (failure: "unreachable" | "timeout" | "http", status?: number, retryAfter?: string) =>
    new BackendError(failure, "x", {
      backend: "api",
      url: "http://x",
      ...(status === undefined ? {} : { status }),
      ...(retryAfter === undefined ? {} : { retryAfter }),
    });

  it("tells onChange when it opens and when a probe closes it, lists the backends it knows, and /metrics shows each state", () => {
    const clock = { t: 0 };
    const changes: unknown[] = [];
    const breakers = createCircuitBreakers({
      failureThreshold: 2,
      coolDownMs: 5_000,
      now: () => clock.t,
      onChange: (backend, change) => changes.push([backend, change]),
    });
    breakers.begin("api").end({ ok: true });
    breakers.begin("api").end({ ok: false });
    breakers.begin("api").end({ ok: false, retryAfterMs: 8_000 });
    expect(changes).toEqual([["api", { state: "open", failures: 2, forMs: 8_000 }]]);
    const metrics = createMallexMetrics();
    expect(renderMetrics(metrics, { breakers })).toContain('mallex_circuit_state{backend="api",state="open"} 1');
    clock.t += 8_000;
    expect(renderMetrics(metrics, { breakers })).toContain('mallex_circuit_state{backend="api",state="half-open"} 1');
    breakers.begin("api").end({ ok: true });
    expect(changes.at(-1)).toEqual(["api", { state: "closed" }]);
    const text = renderMetrics(metrics, { breakers });
    expect(text).toContain('mallex_circuit_state{backend="api",state="closed"} 1');
    expect(text).toContain('mallex_circuit_state{backend="api",state="open"} 0');
    expect(breakers.known()).toEqual(["api"]);
  });

  it("counts connect errors, timeouts and 5xx, not 4xx or aborts", () => {
    expect(outcomeOfError(error("unreachable"))).toEqual({ ok: false });
    expect(outcomeOfError(error("timeout"))).toEqual({ ok: false });
    expect(outcomeOfError(error("http", 529, "7"))).toEqual({ ok: false, retryAfterMs: 7_000 });
    expect(outcomeOfError(error("http", 400))).toEqual({ ok: true });
    expect(outcomeOfError(Object.assign(new Error("aborted"), { name: "AbortError" }))).toBe("neutral");
  });

  it("reads retry-after as seconds or an HTTP date", () => {
    expect(retryAfterOf("3")).toEqual({ retryAfterMs: 3_000 });
    expect(retryAfterOf(new Date(61_000).toUTCString(), 1_000)).toEqual({ retryAfterMs: 60_000 });
    expect(retryAfterOf("soon")).toEqual({});
    expect(retryAfterOf(null)).toEqual({});
  });
});
