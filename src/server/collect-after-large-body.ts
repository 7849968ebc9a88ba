import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { ServerContext } from "../pipeline/server-context.js";

/**
 * A body at least this long (in characters) is collected for as soon as its request ends. Claude
 * Code's requests are 75 KB to about 1 MB; a body of this size is some other client's, and rare.
 */
export const LARGE_BODY_CHARS = 4 * 1024 * 1024;

/**
 * Runs V8's full garbage collection once a request whose body was large has ended (and, told "now",
 * at once: see {@link LargeBodyCollector}). Such a request leaves its body several times over (the
 * text, the parsed request, the upstream body), each a single large object that is garbage once its
 * step is done; V8 would let its heap grow by
 * 120 MB or more of such garbage before collecting it, and a 30 MB prompt took mallex's RSS from
 * 72 to 484 MiB that way (test/memory-budget-cli.test.ts). A collection then costs a few
 * milliseconds of the event loop, twice per large request: normal requests never trigger one.
 *
 * `gc` is V8's own, reached the way --expose-gc exposes it but only inside a context of its own, so
 * nothing is added to mallex's global object; where it cannot be had, nothing is collected. It is
 * looked up at the first large body, not at start-up: most proxies never see one, and need neither
 * the flag set nor the extra context.
 */
export function createLargeBodyCollector(findGc: () => (() => void) | undefined = exposeGc): LargeBodyCollector {
  let gc: (() => void) | null | undefined = null;
  return (bodyChars, when = "after this turn") => {
    if (bodyChars < LARGE_BODY_CHARS) return;
    if (gc === null) gc = findGc();
    if (gc === undefined) return;
    if (when === "now") gc();
    // After the request's own end work (its log line, summary, explanation) has run.
    else setImmediate(gc);
  };
}

/**
 * Told a body's length: collects if it was large. "now" is for the moment a large body has just
 * been parsed: its text is garbage then (the memory test's peak: 292–301 MiB with it, 316–324
 * without, while the upstream body was one string). A collection once the text is read, of the
 * pieces it was decoded in, lowered that peak further (225 against 236 MiB, the upstream body now
 * written in pieces), but it made the fuzz test's RSS climb round after round (to 352 MiB where it
 * holds about 220 without): a full collection promotes whatever young objects are live at that
 * moment. So it is not made.
 */
export type LargeBodyCollector = NonNullable<ServerContext["collectAfter"]>;

/** V8's full collection as a function, or undefined where the flag cannot be set. */
export function exposeGc(): (() => void) | undefined {
  try {
    setFlagsFromString("--expose-gc");
    const gc: unknown = runInNewContext("gc");
    return typeof gc === "function" ? () => void (gc as () => void)() : undefined;
  } catch {
    return undefined;
  }
}
