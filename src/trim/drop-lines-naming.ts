/**
 * A built-in tool's description without its lines that name a tool the model is not offered ("use
 * the Agent tool instead" in Glob's, when Agent was removed): the model would call it, or tell the
 * user it cannot. Whole words only (`Task` is not `TaskCreate`); words are split on what no tool
 * name holds, so a line costs linear time. The text as it is when nothing is left without them.
 */
export function dropLinesNaming(text: string, names: ReadonlySet<string>): string {
  if (names.size === 0) return text;
  const lines = text.split("\n");
  const kept = lines.filter((line) => !line.split(NOT_IN_A_NAME).some((word) => names.has(word)));
  return kept.length === lines.length || kept.every((line) => line.trim() === "") ? text : kept.join("\n");
}

const NOT_IN_A_NAME = /[^\w-]+/;
