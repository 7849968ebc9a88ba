import { createLruMap } from "../shared/lru-map.js";

/**
 * Each session's last prompt per profile (x-claude-code-session-id), in mallex's estimated tokens:
 * what that profile's backend likely still holds in its prefix cache when the session's next turn,
 * the same conversation with more appended, comes (see predictTtft).
 */
export interface SessionPrompts {
  get(sessionId: string, profile: string): number | undefined;
  set(sessionId: string, profile: string, tokens: number): void;
}

/** An in-memory store that forgets the least recently used session/profile pairs beyond `capacity`. */
export function createSessionPrompts(capacity = 1000): SessionPrompts {
  const prompts = createLruMap<string, number>(capacity);
  // A NUL cannot occur in a header value, so no two pairs share a key.
  const key = (sessionId: string, profile: string) => `${sessionId}\0${profile}`;
  return {
    get: (sessionId, profile) => prompts.get(key(sessionId, profile)),
    set: (sessionId, profile, tokens) => prompts.set(key(sessionId, profile), tokens),
  };
}
