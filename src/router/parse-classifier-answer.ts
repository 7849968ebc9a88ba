/** The classifier model's answer, read: an intent id the table declares, no intent, or why neither. */
export type ClassifierAnswer = { ok: true; intent?: string } | { ok: false; problem: string };

/** Words a model uses for "none of these" (the shipped template offers `none`). */
const NO_INTENT = new Set(["none", "other", "default", "unknown", "null"]);

/**
 * Reads what the model answered, as asked (`{"intent": "<id>"}`) or as small models answer anyway:
 * the bare id, quoted, in a code fence, after `intent:`, with other casing, spaces or hyphens for
 * underscores, after a `<think>` block, or in a sentence that names exactly one id. Anything else
 * is a problem, never a guess.
 */
export function parseClassifierAnswer(answer: string, intentIds: readonly string[]): ClassifierAnswer {
  const text = answer.replace(/<think>[\s\S]*?(?:<\/think>|$)/g, "").trim();
  const named = namedInJson(text) ?? text.replace(/^[\s`"'*]*(?:json)?[\s`"'*]*(?:intent|category|answer)?\s*[:=]?[\s`"'*]*/i, "").replace(/[\s`"'*.!]+$/, "");
  const found = lookUp(named, intentIds);
  if (found !== undefined) return found;
  const mentioned = intentIds.filter((id) => new RegExp(`(?:^|[^\\w-])${escapeRegExp(id)}(?:$|[^\\w-])`, "i").test(text));
  if (mentioned.length === 1) return { ok: true, intent: mentioned[0]! };
  return { ok: false, problem: `its answer names no intent: ${preview(text)}` };
}

function namedInJson(text: string): string | undefined {
  for (const [object] of text.matchAll(/\{[^{}]*\}/g)) {
    try {
      const value = JSON.parse(object) as Record<string, unknown>;
      const key = ["intent", "category", "id"].find((name) => Object.hasOwn(value, name));
      const named = key === undefined ? undefined : value[key];
      if (typeof named === "string") return named;
      if (named === null) return "none";
    } catch {
      // not JSON: the next object, or the text as it is
    }
  }
  return undefined;
}

const normalize = (name: string): string =>
  name
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, "_");

function lookUp(name: string, intentIds: readonly string[]): ClassifierAnswer | undefined {
  const wanted = normalize(name);
  const id = intentIds.find((candidate) => normalize(candidate) === wanted);
  if (id !== undefined) return { ok: true, intent: id };
  return NO_INTENT.has(wanted) ? { ok: true } : undefined;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function preview(text: string): string {
  const line = text.replace(/\s+/g, " ");
  if (line === "") return "(empty)";
  return JSON.stringify(line.length > 40 ? `${line.slice(0, 40)}…` : line);
}
