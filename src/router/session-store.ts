import type { TierName } from "../../generated/config.js";
import { createLruMap } from "../shared/lru-map.js";

/** What mallex remembers per Claude Code session (x-claude-code-session-id): the tier it is on. */
export interface SessionStore {
  get(sessionId: string): TierName | undefined;
  set(sessionId: string, tier: TierName): void;
}

/** An in-memory store that forgets the least recently used sessions beyond `capacity`. */
export function createSessionStore(capacity = 1000): SessionStore {
  const tiers = createLruMap<string, TierName>(capacity);
  return { get: (sessionId) => tiers.get(sessionId), set: (sessionId, tier) => tiers.set(sessionId, tier) };
}
