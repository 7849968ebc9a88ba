import { describe, expect, it } from "vitest";
import { requireAction } from "../../src/pipeline/answer-checks/require-action.js";
import type { AnthropicMessage, AnthropicStreamEvent, MessagesRequest } from "../../src/translate/anthropic-types.js";
import { createReplyCallTranslator, replyCallsAsText, replyTextOfJson } from "../../src/translate/tool-calls/reply-tool.js";
import { assistantMessage } from "../helpers/assistant-message.js";

const read = { name: "Read", input_schema: { type: "object" as const, properties: { file_path: { type: "string" } } } };
const request = (extra: Partial<MessagesRequest> = {}): MessagesRequest => ({
  model: "m",
  max_tokens: 100,
  messages: [{ role: "user", content: "what does app.py do?" }],
  tools: [read],
  ...extra,
});
const message = (content: AnthropicMessage["content"], stop: AnthropicMessage["stop_reason"] = "tool_use") => assistantMessage(content, stop);

describe("requireAction (tools.always_call)", () => {
  it("offers Reply beside the client's tools and asks for a call, where the client leaves the choice to the model", () => {
    const action = requireAction({ alwaysCall: true }, request(), request(), [read]);
    expect(action?.sent.tools?.map((tool) => tool.name)).toEqual(["Read", "Reply"]);
    expect(action?.sent.tool_choice).toEqual({ type: "any" });
    expect(action?.asked.tool_choice).toEqual({ type: "any" });
    expect(action?.offeredTools.map((tool) => tool.name)).toEqual(["Read", "Reply"]);
    expect(requireAction({ alwaysCall: true }, request({ tool_choice: { type: "auto" } }), request(), [read])).toBeDefined();
  });

  it("leaves alone a profile without it, a request without tools, the client's own choice and a JSON answer", () => {
    expect(requireAction({}, request(), request(), [read])).toBeUndefined();
    expect(requireAction({ alwaysCall: true }, request({ tools: [] }), request({ tools: [] }), [])).toBeUndefined();
    for (const choice of [{ type: "none" }, { type: "any" }, { type: "tool", name: "Read" }] as const)
      expect(requireAction({ alwaysCall: true }, request({ tool_choice: choice }), request(), [read])).toBeUndefined();
    const json = request({ output_config: { format: { type: "json_schema", schema: { type: "object" } } } });
    expect(requireAction({ alwaysCall: true }, json, json, [read])).toBeUndefined();
  });
});

describe("a Reply call reaches the client as its text", () => {
  it("whole: the call becomes a text block, end_turn when it was the only call; other calls stay", () => {
    const reply = { type: "tool_use" as const, id: "toolu_1", name: "Reply", input: { text: "It prints a greeting." } };
    expect(replyCallsAsText(message([reply]))).toMatchObject({ content: [{ type: "text", text: "It prints a greeting." }], stop_reason: "end_turn" });
    const both = replyCallsAsText(message([reply, { type: "tool_use", id: "toolu_2", name: "Read", input: { file_path: "/a" } }]));
    expect(both.stop_reason).toBe("tool_use");
    expect(both.content.map((block) => block.type)).toEqual(["text", "tool_use"]);
  });

  it("streamed: held until its block stops, then a text block at its index, at every split of its arguments", () => {
    const json = JSON.stringify({ text: 'Done: "hi" written.\nBye' });
    for (let cut = 0; cut <= json.length; cut++) {
      const translate = createReplyCallTranslator();
      const events: AnthropicStreamEvent[] = [
        { type: "content_block_start", index: 0, content_block: { type: "tool_use", id: "toolu_1", name: "Reply", input: {} } },
        { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: json.slice(0, cut) } },
        { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: json.slice(cut) } },
        { type: "content_block_stop", index: 0 },
        { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 9 } },
      ];
      expect(events.flatMap(translate)).toEqual([
        { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
        { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: 'Done: "hi" written.\nBye' } },
        { type: "content_block_stop", index: 0 },
        { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 9 } },
      ]);
    }
  });

  it("a reply cut off by the answer's limit gives its text as far as it came", () => {
    expect(replyTextOfJson('{"text": "It reads the con')).toBe("It reads the con");
    expect(replyTextOfJson('{"text": "a \\"b\\" \\n')).toBe('a "b" \n');
  });
});

describe("requireAction on a model in a loop", () => {
  it("withholds, for this turn, the tool it called the same way in its last two turns", () => {
    const grep = { name: "Grep", input_schema: { type: "object" as const, properties: { pattern: { type: "string" } } } };
    const call = (id: string) => ({ role: "assistant" as const, content: [{ type: "tool_use" as const, id, name: "Grep", input: { pattern: "x" } }] });
    const result = (id: string) => ({ role: "user" as const, content: [{ type: "tool_result" as const, tool_use_id: id, content: "a.js:1" }] });
    const looping = request({ tools: [read, grep], messages: [{ role: "user", content: "where is x?" }, call("a"), result("a"), call("b"), result("b")] });
    expect(requireAction({ alwaysCall: true }, looping, looping, [read, grep])?.sent.tools?.map((tool) => tool.name)).toEqual(["Read", "Reply"]);
    const once = request({ tools: [read, grep], messages: [{ role: "user", content: "where is x?" }, call("a"), result("a")] });
    expect(requireAction({ alwaysCall: true }, once, once, [read, grep])?.sent.tools?.map((tool) => tool.name)).toEqual(["Read", "Grep", "Reply"]);
  });
});
