/**
 * Renders an earlier tool call and its result as plain text, for `toolMode: "xml"` profiles: the
 * model has no native tool support, so its chat template may reject `tool_calls` and `role: "tool"`
 * (many templates only allow alternating user/assistant). The call is written in mallex's own
 * format, the one its tool prompt teaches and the `mallex-xml` parser reads back, so the model sees
 * its own earlier calls exactly as it should write new ones.
 */
export function renderXmlToolCall(name: string, input: unknown): string {
  const lines = [`<invoke name="${name}">`];
  if (typeof input === "object" && input !== null && !Array.isArray(input)) {
    for (const [key, value] of Object.entries(input)) {
      // Strings raw (that is how the model writes them); anything else as JSON, which the
      // parser's schema coercion turns back into the typed value.
      const text = typeof value === "string" ? value : JSON.stringify(value);
      lines.push(`<parameter name="${key}">${text}</parameter>`);
    }
  }
  lines.push("</invoke>");
  return lines.join("\n");
}

/** A tool result as user text; the tool's name is included when the call is in the history. */
export function renderXmlToolResult(toolUseId: string, toolName: string | undefined, content: string): string {
  const nameAttribute = toolName === undefined ? "" : ` name="${toolName}"`;
  return `<tool_result${nameAttribute} tool_use_id="${toolUseId}">\n${content}\n</tool_result>`;
}
