// The shape a model's answer gives its tool call, for counting what a real model writes: where the call
// object sits (a ```json fence, a plain fence, <tool_call>, another wrapper tag, bare JSON), whether
// prose comes before it, and whether it names a tool the request offered. Independent of mallex's
// parsers on purpose: it describes the text, it does not decide what runs.

/** Hermes' own tag, then the wrapper tags llama.cpp also reads a Hermes call in. */
const WRAPPERS = ["<tool_call>", "<tools>", "<function_call>", "<tool>", "<response>", "<json>", "<xml>", "<JSON>"];

/**
 * @param {string} text the answer's text
 * @param {readonly string[]} tools the tool names the request offered
 * @param {boolean} native whether the server returned native tool_calls
 * @returns {{ shape: string; named?: string; offered?: boolean; proseBefore?: boolean }}
 */
export function toolCallShape(text, tools, native = false) {
  if (native) return { shape: "native tool_calls" };
  const object = /\{\s*"name"\s*:\s*"([^"]*)"/.exec(text);
  if (object === null) {
    if (/^```/m.test(text)) return { shape: "prose with code, no call object" };
    return { shape: /\{\s*"/.test(text) ? "prose with a JSON object, no call object" : "prose only" };
  }
  const named = object[1];
  const offered = tools.some((tool) => tool.toLowerCase() === named.toLowerCase());
  const before = text.slice(0, object.index);
  const lastLine = before.slice(before.lastIndexOf("\n", before.trimEnd().length - 1) + 1).trim();
  const wrapper = WRAPPERS.find((tag) => lastLine.endsWith(tag));
  const fence = /^```\s*([\w-]*)$/.exec(lastLine);
  let shape;
  if (wrapper !== undefined) shape = wrapper === "<tool_call>" ? "<tool_call>" : `${wrapper} wrapper`;
  else if (fence !== null) shape = fence[1] === "" ? "plain ``` fence" : fence[1].toLowerCase() === "json" ? "```json fence" : `\`\`\`${fence[1]} fence`;
  else shape = lastLine === "" ? "bare JSON" : "JSON inside a line";
  const opening = wrapper ?? fence?.[0];
  const proseBefore = (opening === undefined ? before : before.slice(0, before.lastIndexOf(opening))).trim() !== "";
  return { shape, named, offered, proseBefore };
}
