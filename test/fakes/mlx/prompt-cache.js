// @ts-check
/**
 * The lookup rules of `LRUPromptCache` (mlx_lm/models/cache.py), on token strings:
 * entries are `prompt + generated tokens` of finished requests, keyed by model; a lookup
 * reuses an exact entry (minus the last token, which must be re-fed), else the longest
 * entry that is a prefix of the prompt, else (trimmable caches only) the longest common
 * prefix with any entry. Eviction is plain LRU by count.
 */

/**
 * @param {{ size: number, trimmable: boolean }} options
 */
export function createPromptCache({ size, trimmable }) {
  /** @type {Array<{ model: string, tokens: string[] }>} most recently used last */
  const entries = [];

  return {
    /**
     * How many leading prompt tokens are served from the cache.
     * @param {string} model
     * @param {string[]} prompt
     */
    lookup(model, prompt) {
      let shorter = 0;
      let common = 0;
      let hit = -1;
      for (const [index, entry] of entries.entries()) {
        if (entry.model !== model) continue;
        const n = commonPrefix(entry.tokens, prompt);
        if (n === prompt.length && entry.tokens.length === prompt.length) {
          hit = index;
          shorter = prompt.length - 1;
          break;
        }
        if (n === entry.tokens.length && n > shorter) [shorter, hit] = [n, index];
        if (trimmable) common = Math.max(common, Math.min(n, prompt.length - 1));
      }
      if (hit >= 0) entries.push(...entries.splice(hit, 1));
      return Math.max(0, shorter > 0 ? shorter : common);
    },

    /**
     * Stores a finished sequence; with a trimmable cache its stored prefixes become redundant.
     * @param {string} model
     * @param {string[]} tokens
     */
    insert(model, tokens) {
      for (let i = entries.length - 1; i >= 0; i--) {
        const entry = entries[i];
        if (entry?.model !== model) continue;
        const same = entry.tokens.length === tokens.length && commonPrefix(entry.tokens, tokens) === tokens.length;
        const prefix = trimmable && commonPrefix(entry.tokens, tokens) === entry.tokens.length;
        if (same || prefix) entries.splice(i, 1);
      }
      entries.push({ model, tokens });
      while (entries.length > size) entries.shift();
    },

    get size() {
      return entries.length;
    },
  };
}

/** @param {string[]} a @param {string[]} b */
function commonPrefix(a, b) {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}
