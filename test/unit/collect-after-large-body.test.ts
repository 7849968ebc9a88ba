/**
 * Issue 24: a request whose body is large leaves its copies as garbage that V8 would let pile up
 * (a 30 MB prompt took the proxy from 72 to 484 MiB); mallex collects once such a body is parsed,
 * and once its request has ended.
 */
import { describe, expect, it } from "vitest";
import { createLargeBodyCollector, exposeGc, LARGE_BODY_CHARS } from "../../src/server/collect-after-large-body.js";

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("createLargeBodyCollector", () => {
  it("collects once per large body, after the current turn of the event loop, and never for a normal one", async () => {
    let collections = 0;
    const collectAfter = createLargeBodyCollector(() => () => collections++);
    collectAfter(LARGE_BODY_CHARS - 1);
    collectAfter(80_000);
    collectAfter(LARGE_BODY_CHARS);
    expect(collections).toBe(0);
    await nextTurn();
    expect(collections).toBe(1);
    collectAfter(30 * 1024 * 1024);
    await nextTurn();
    expect(collections).toBe(2);
  });

  it('collects at once when told "now" (a large body just parsed), still never for a normal one', () => {
    let collections = 0;
    const collect = createLargeBodyCollector(() => () => collections++);
    collect(80_000, "now");
    expect(collections).toBe(0);
    collect(LARGE_BODY_CHARS, "now");
    expect(collections).toBe(1);
  });

  it("does nothing where V8's collector cannot be had", async () => {
    const collectAfter = createLargeBodyCollector(() => undefined);
    expect(() => collectAfter(LARGE_BODY_CHARS)).not.toThrow();
    await nextTurn();
  });

  it("reaches V8's real collector without adding gc to the global object: garbage is gone after it", async () => {
    const gc = exposeGc();
    expect(gc).toBeTypeOf("function");
    expect("gc" in globalThis).toBe(false);
    // A WeakRef's target lives at least until the turn that made it ends: made one turn earlier.
    const ref = await new Promise<WeakRef<object>>((resolve) => setImmediate(() => resolve(new WeakRef({ body: "x".repeat(1024) }))));
    await nextTurn();
    gc!();
    expect(ref.deref()).toBeUndefined();
  });
});
