/**
 * Where auto deliberately differs from the configured family: the block is not shaped like a call
 * (or, markerless, names no requested tool), so auto keeps it as text where the family, which knows
 * the model writes calls this way, reports a broken call.
 */
export const TEXT_IN_AUTO: ReadonlySet<string> = new Set([
  "qwen3-coder: wrapper without a function", // `<tool_call>hello</tool_call>`: a word, and no tool
  "glm45: unterminated name only", // `<tool_call>TaskLi`: a cut-off word, and no tool
  "pythonic: cut off at the end", // markerless, and no requested tool is named
  "pythonic: a variable instead of a literal", // markerless, and no requested tool is named
  "hermes: a fenced snippet of other code between the tags stays a broken call, not a call", // no family's body: Python in a fence
]);
