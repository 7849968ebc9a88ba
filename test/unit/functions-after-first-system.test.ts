import { ChatWrapper, LlamaText, Llama3_1ChatWrapper, QwenChatWrapper, type ChatHistoryItem, type ChatModelFunctions } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { functionsAfterFirstSystem } from "../../src/engine/functions-after-first-system.js";

const functions: ChatModelFunctions = { Read: { description: "Reads a file.", params: { type: "object", properties: { file_path: { type: "string" } } } } };
const history: ChatHistoryItem[] = [
  { type: "system", text: "You are a coding assistant." },
  { type: "system", text: "# Environment\n - Primary working directory: /home/ada/app" },
  { type: "user", text: "read app.py" },
  { type: "model", response: [] },
];
const render = (wrapper: ChatWrapper, items = history) =>
  LlamaText.fromJSON(wrapper.generateContextState({ chatHistory: items, availableFunctions: functions }).contextText.toJSON()).toString();

describe("functionsAfterFirstSystem (the embedded engine's chat wrapper)", () => {
  it("Qwen: the tools follow the system prompt and come before the session's context, in one system turn", () => {
    const text = render(functionsAfterFirstSystem(new QwenChatWrapper(), ChatWrapper));
    expect(text.indexOf("<tools>")).toBeGreaterThan(text.indexOf("You are a coding assistant."));
    expect(text.indexOf("<tools>")).toBeLessThan(text.indexOf("# Environment"));
    expect(text.match(/<\|im_start\|>system/g)).toHaveLength(1);
    // Without it node-llama-cpp puts them after every leading system message: after what changes per session.
    const plain = render(new QwenChatWrapper());
    expect(plain.indexOf("<tools>")).toBeGreaterThan(plain.indexOf("# Environment"));
  });

  it("two sessions' prompts share everything up to the session's context", () => {
    const wrapper = functionsAfterFirstSystem(new QwenChatWrapper(), ChatWrapper);
    const other = history.map((item, i) => (i === 1 ? { type: "system" as const, text: "# Environment\n - Primary working directory: /home/bo/web" } : item));
    const [a, b] = [render(wrapper), render(wrapper, other)];
    let shared = 0;
    while (a[shared] === b[shared]) shared++;
    expect(a.slice(0, shared)).toContain("</tool_call>");
    expect(a.slice(shared)).toMatch(/^ada\/app/);
  });

  it("one system message, or a wrapper that places the tools its own way, is left as it was", () => {
    const wrapper = functionsAfterFirstSystem(new QwenChatWrapper(), ChatWrapper);
    const single = [history[0]!, history[2]!, history[3]!];
    expect(render(wrapper, single)).toBe(render(new QwenChatWrapper(), single));
    const llama = new Llama3_1ChatWrapper();
    expect(functionsAfterFirstSystem(llama, ChatWrapper).addAvailableFunctionsSystemMessageToHistory).toBe(
      Llama3_1ChatWrapper.prototype.addAvailableFunctionsSystemMessageToHistory,
    );
  });
});
