import type { TierName } from "../../generated/config.js";

/** What mallex remembers per Claude Code session (x-claude-code-session-id): the tier it is on. */
export interface SessionStore {
  get(sessionId: string): TierName | undefined;
  set(sessionId: string, tier: TierName): void;
}

/** An in-memory store that forgets the least recently used sessions beyond `capacity`. */
export function createSessionStore(capacity = 1000): SessionStore {
  const tiers = new Map<string, TierName>();
  return {
    get(sessionId) {
      const tier = tiers.get(sessionId);
      if (tier !== undefined) {
        tiers.delete(sessionId);
        tiers.set(sessionId, tier);
      }
      return tier;
    },
    set(sessionId, tier) {
      tiers.delete(sessionId);
      tiers.set(sessionId, tier);
      if (tiers.size > capacity) tiers.delete(tiers.keys().next().value as string);
    },
  };
}
