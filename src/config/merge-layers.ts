import { recordOrigin, type Origins } from "./source-position.js";

type Plain = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Plain {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A rule list: every item is a map with a string `id`. Such lists merge by id across files. */
export function isRuleList(value: unknown): value is Plain[] {
  return Array.isArray(value) && value.length > 0 && value.every((item) => isPlainObject(item) && typeof item.id === "string");
}

/**
 * Merges `over` onto `base`: maps deep-merge, rule lists merge by `id` (a rule with a known id is
 * deep-merged in place, a new id is appended), anything else is replaced. Inputs are not mutated;
 * the origins of every value come along, so errors still point into the file that wrote it.
 */
export function mergeLayers(base: unknown, over: unknown, origins: Origins): unknown {
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Plain = {};
    for (const key of new Set([...Object.keys(base), ...Object.keys(over)])) {
      const fromOver = key in over;
      out[key] = fromOver && key in base ? mergeLayers(base[key], over[key], origins) : fromOver ? over[key] : base[key];
      const origin = origins.get(fromOver ? over : base)?.get(key);
      if (origin) recordOrigin(origins, out, key, origin);
    }
    return out;
  }
  if (isRuleList(base) && isRuleList(over)) {
    const out: unknown[] = [];
    const sourceOf: Array<{ list: unknown[]; index: number }> = [];
    base.forEach((item, index) => {
      out.push(item);
      sourceOf.push({ list: base, index });
    });
    over.forEach((item, index) => {
      const at = out.findIndex((existing) => (existing as Plain).id === item.id);
      if (at === -1) {
        out.push(item);
        sourceOf.push({ list: over, index });
      } else {
        out[at] = mergeLayers(out[at], item, origins);
        sourceOf[at] = { list: over, index };
      }
    });
    sourceOf.forEach(({ list, index }, at) => {
      const origin = origins.get(list)?.get(String(index));
      if (origin) recordOrigin(origins, out, at, origin);
    });
    return out;
  }
  return over;
}

/**
 * Removes rules with the given ids from every rule list in `config`. Returns the ids that matched
 * nothing, so a typo in `disable:` is an error rather than a silent no-op.
 */
export function disableRules(config: unknown, ids: readonly string[], origins: Origins): { config: unknown; unknown: string[] } {
  const matched = new Set<string>();
  const visit = (value: unknown): unknown => {
    if (isRuleList(value)) {
      const out: unknown[] = [];
      value.forEach((item, index) => {
        if (ids.includes(item.id as string)) {
          matched.add(item.id as string);
          return;
        }
        const origin = origins.get(value)?.get(String(index));
        const kept = visit(item);
        if (origin) recordOrigin(origins, out, out.length, origin);
        out.push(kept);
      });
      return out;
    }
    if (isPlainObject(value)) {
      const out: Plain = {};
      for (const [key, child] of Object.entries(value)) {
        out[key] = visit(child);
        const origin = origins.get(value)?.get(key);
        if (origin) recordOrigin(origins, out, key, origin);
      }
      return out;
    }
    return value;
  };
  const result = visit(config);
  return { config: result, unknown: ids.filter((id) => !matched.has(id)) };
}
