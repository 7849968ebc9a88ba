import { createHash } from "node:crypto";
import { createLruMap } from "../shared/lru-map.js";
import type { TurnRoute } from "./classifier-verdict.js";

/**
 * Where each user turn went, with the model classifier on: a tool round trip, a retry or the same
 * words again in the same session go there too, with no second call. A classifier failure is kept
 * as well, so a turn pays the classifier's timeout at most once; the next turn asks again.
 */
export interface ClassifierCache {
  get(sessionId: string | undefined, text: string): TurnRoute | undefined;
  set(sessionId: string | undefined, text: string, route: TurnRoute): void;
}

/**
 * An in-memory cache of at most `capacity` turns, least recently used dropped first. Keyed by the
 * session (x-claude-code-session-id; clients without one share the "" session: the same words get
 * the same verdict anyway) and a hash of the turn's text, so a long pasted turn is not held.
 */
export function createClassifierCache(capacity = 1000): ClassifierCache {
  const routes = createLruMap<string, TurnRoute>(capacity);
  const keyOf = (sessionId: string | undefined, text: string) => `${sessionId ?? ""}\u0000${createHash("sha256").update(text).digest("base64")}`;
  return {
    get: (sessionId, text) => routes.get(keyOf(sessionId, text)),
    set: (sessionId, text, route) => routes.set(keyOf(sessionId, text), { tier: route.tier, reason: route.reason, byClassifier: route.byClassifier }),
  };
}
