/** A Map that keeps at most `maxEntries`: a read makes an entry the newest, a write past the bound drops the oldest. */
export interface LruMap<K, V> {
  get(key: K): V | undefined;
  has(key: K): boolean;
  set(key: K, value: V): void;
  readonly size: number;
}

/**
 * An LruMap. An entry keeps the key it was stored with: a read with an equal key (a string sliced
 * out of a request body, say) never replaces it, so the map holds on to nothing of the reader's.
 */
export function createLruMap<K, V>(maxEntries: number): LruMap<K, V> {
  const entries = new Map<K, { key: K; value: V }>();
  return {
    get(key) {
      const entry = entries.get(key);
      if (entry === undefined) return undefined;
      // Map keeps insertion order: re-inserting makes this the newest.
      entries.delete(key);
      entries.set(entry.key, entry);
      return entry.value;
    },
    has(key) {
      return entries.has(key);
    },
    set(key, value) {
      entries.delete(key);
      entries.set(key, { key, value });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as K);
    },
    get size() {
      return entries.size;
    },
  };
}
