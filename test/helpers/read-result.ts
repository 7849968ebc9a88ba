/**
 * A file's text as Claude Code's Read returns it, `cat -n` style: each line numbered, right-aligned in
 * six columns, then a tab (older releases: an arrow, `→`).
 */
export function numberedLines(text: string, arrow = false): string {
  return text
    .split("\n")
    .map((line, i) => `${String(i + 1).padStart(6)}${arrow ? "→" : "\t"}${line}`)
    .join("\n");
}
