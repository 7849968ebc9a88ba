/**
 * Helpers registered on the runtime Handlebars environment. Pure and deterministic: rendered
 * prompts must be byte-stable between turns so the backend's prefix cache keeps hitting.
 */
export const templateHelpers = {
  /** JSON with sorted keys, so the same value always renders to the same bytes. */
  json(value: unknown): string {
    return JSON.stringify(sortKeys(value));
  },
  eq(a: unknown, b: unknown): boolean {
    return a === b;
  },
  join(list: unknown, separator: unknown): string {
    return Array.isArray(list) ? list.join(typeof separator === "string" ? separator : ", ") : "";
  },
  truncate(text: unknown, max: unknown): string {
    const s = typeof text === "string" ? text : "";
    return typeof max === "number" && s.length > max ? `${s.slice(0, max)}…` : s;
  },
  /** The lines of `text` that contain one of the labels given after it: a section's facts that stay, apart from those that change. */
  lines_with(text: unknown, ...labels: unknown[]): string {
    return pickLines(text, labels, true);
  },
  /** The lines of `text` that contain none of the labels given after it; a blank line left beside another by a line dropped goes too. */
  lines_without(text: unknown, ...labels: unknown[]): string {
    return pickLines(text, labels, false).replace(/\n{3,}/g, "\n\n");
  },
  indent(text: unknown, width: unknown): string {
    const pad = " ".repeat(typeof width === "number" ? width : 2);
    return (typeof text === "string" ? text : "").replace(/^(?=.)/gm, pad);
  },
} as const;

export const TEMPLATE_HELPER_NAMES = Object.keys(templateHelpers);

/** Handlebars passes its options object last: only the strings before it are labels. */
function pickLines(text: unknown, labels: readonly unknown[], keep: boolean): string {
  const wanted = labels.filter((label): label is string => typeof label === "string" && label !== "");
  if (typeof text !== "string") return "";
  return text
    .split("\n")
    .filter((line) => wanted.some((label) => line.includes(label)) === keep)
    .join("\n");
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
