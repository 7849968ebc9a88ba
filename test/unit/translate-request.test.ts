import { describe, expect, it } from "vitest";
import type { AnthropicMessageParam, MessagesRequest } from "../../src/translate/anthropic-types.js";
import { convertAnthropicToOpenAI } from "../../src/translate/convert-anthropic-to-openai.js";
import type { OpenAIChatRequest } from "../../src/translate/openai-types.js";
import { TranslateError } from "../../src/translate/translate-error.js";
import type { TranslateOptions } from "../../src/translate/translate-options.js";
import { describeWithShared, readCapture } from "../helpers/shared-dir.js";
import { baseOptions, readTool, writeTool } from "../helpers/translate-helpers.js";

const loadCapture = (name: string) => readCapture<MessagesRequest>(name).body;

function convert(request: Partial<MessagesRequest>, options: Partial<TranslateOptions> = {}): OpenAIChatRequest {
  return convertAnthropicToOpenAI({ model: "claude-opus-4-8", max_tokens: 1024, messages: [], ...request }, { ...baseOptions, ...options });
}

const user = (content: AnthropicMessageParam["content"]): AnthropicMessageParam => ({ role: "user", content });
const assistant = (content: AnthropicMessageParam["content"]): AnthropicMessageParam => ({ role: "assistant", content });

describeWithShared("convertAnthropicToOpenAI on captured Claude Code requests", () => {
  it("main-request-2plus2: every message kept, billing block dropped, system-role message folded", () => {
    const request = loadCapture("main-request-2plus2.json");
    const out = convertAnthropicToOpenAI(request, { ...baseOptions, maxOutputTokens: 16384 });
    const [firstUser, systemRole] = request.messages;
    const userBlocks = firstUser?.content as Array<{ text: string }>;
    const [, identity, mainPrompt] = request.system as Array<{ text: string }>;

    expect(out.messages.map((message) => message.role)).toEqual(["system", "user"]);
    expect(out.messages[0]).toEqual({ role: "system", content: `${identity?.text}${mainPrompt?.text}` });
    expect(JSON.stringify(out)).not.toContain("x-anthropic-billing-header");
    // The user turn and the mid-conversation system message, merged in order into one user turn.
    expect(out.messages[1]).toEqual({
      role: "user",
      content: `${userBlocks[0]?.text}${userBlocks[1]?.text}\n\n` + `<system-reminder>\n${systemRole?.content as string}\n</system-reminder>`,
    });
    expect(out.tools?.map((tool) => tool.function.name)).toEqual(request.tools?.map((tool) => tool.name));
    expect(out.tools?.[23]).toEqual({
      type: "function",
      function: {
        name: "Write",
        description: (request.tools?.[23] as { description: string }).description,
        parameters: (request.tools?.[23] as { input_schema: unknown }).input_schema,
      },
    });
    expect(JSON.stringify(out)).not.toContain("cache_control");
    expect(out).not.toHaveProperty("model");
    expect(out).toMatchObject({
      max_tokens: 16384,
      stream: true,
      stream_options: { include_usage: true },
      chat_template_kwargs: { enable_thinking: true },
    });
    expect(Object.keys(out)).toEqual(["messages", "tools", "max_tokens", "stream", "stream_options", "chat_template_kwargs"]);
  });

  it("is deterministic: the same request (or a deep copy) gives byte-identical JSON", () => {
    const request = loadCapture("main-request-2plus2.json");
    const first = JSON.stringify(convertAnthropicToOpenAI(request, baseOptions));
    expect(JSON.stringify(convertAnthropicToOpenAI(request, baseOptions))).toBe(first);
    expect(JSON.stringify(convertAnthropicToOpenAI(structuredClone(request), baseOptions))).toBe(first);
  });

  it("tool-use-followup: assistant tool_use → tool_calls, tool_result → a tool message", () => {
    const request = loadCapture("tool-use-followup.json");
    const out = convertAnthropicToOpenAI(request, baseOptions);
    expect(out.messages.map((message) => message.role)).toEqual(["system", "user", "assistant", "tool"]);
    expect(out.messages[1]?.content).toContain("create hello.txt containing hi\n\n<system-reminder>\nAvailable agent types");
    expect(out.messages.slice(2)).toEqual([
      {
        role: "assistant",
        content: "I'll create hello.txt.",
        tool_calls: [
          {
            id: "toolu_a31e9324dcccf4088df289a4",
            type: "function",
            function: { name: "Write", arguments: '{"file_path":"/home/dev/tiny-repo/hello.txt","content":"hi"}' },
          },
        ],
      },
      {
        role: "tool",
        tool_call_id: "toolu_a31e9324dcccf4088df289a4",
        content: "File created successfully at: /home/dev/tiny-repo/hello.txt (file state is current in your context — no need to Read it back)",
      },
    ]);
  });

  it("keeps the upstream prefix byte-stable from one turn to the next (KV cache reuse)", () => {
    // The follow-up moves cache_control to the newest block; the rendered prefix must not change.
    const first = convertAnthropicToOpenAI(loadCapture("tool-use-first-request.json"), baseOptions);
    const followup = convertAnthropicToOpenAI(loadCapture("tool-use-followup.json"), baseOptions);
    expect(first.messages).toHaveLength(2);
    expect(JSON.stringify(followup.messages.slice(0, 2))).toBe(JSON.stringify(first.messages));
    expect(JSON.stringify(followup.tools)).toBe(JSON.stringify(first.tools));
  });
});

describe("convertAnthropicToOpenAI: system", () => {
  it("a string system prompt becomes one system message", () => {
    expect(convert({ system: "Be brief.", messages: [user("hi")] }).messages).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "hi" },
    ]);
  });

  it("blocks are joined; the billing block alone leaves no system message", () => {
    const billing = { type: "text" as const, text: "x-anthropic-billing-header: cc_version=2.1.197.84c; cc_entrypoint=cli;" };
    expect(convert({ system: [billing, { type: "text", text: "A" }, { type: "text", text: "B" }] }).messages).toEqual([{ role: "system", content: "A\n\nB" }]);
    expect(convert({ system: [billing], messages: [user("hi")] }).messages).toEqual([{ role: "user", content: "hi" }]);
  });

  it("blocks after the last cache breakpoint become a second system message, unless the template takes one only", () => {
    const stable = { type: "text" as const, text: "A", cache_control: { type: "ephemeral" as const } };
    const session = { type: "text" as const, text: "B" };
    const system = [stable, session, { type: "text" as const, text: "C" }];
    expect(convert({ system, messages: [user("hi")] }).messages).toEqual([
      { role: "system", content: "A" },
      { role: "system", content: "B\n\nC" },
      { role: "user", content: "hi" },
    ]);
    expect(convert({ system, messages: [user("hi")] }, { oneSystemMessage: true }).messages).toEqual([
      { role: "system", content: "A\n\nB\n\nC" },
      { role: "user", content: "hi" },
    ]);
    // Claude Code marks its last block: nothing follows the breakpoint, one message.
    expect(convert({ system: [session, stable] }).messages).toEqual([{ role: "system", content: "B\n\nA" }]);
  });

  it("a mid-conversation system message becomes a user reminder in place", () => {
    const out = convert({
      messages: [user("q1"), assistant("a1"), { role: "system", content: [{ type: "text", text: "Agents: Explore" }] }],
    });
    expect(out.messages).toEqual([
      { role: "user", content: "q1" },
      { role: "assistant", content: "a1" },
      { role: "user", content: "<system-reminder>\nAgents: Explore\n</system-reminder>" },
    ]);
  });

  it("Claude Code's mid-conversation tool changes become a reminder naming each tool; a settings-only system message, nothing", () => {
    const definition = { name: "mcp__tickets__lookup", description: "Look a ticket up", input_schema: { type: "object" }, defer_loading: true };
    const out = convert({
      messages: [
        user("q1"),
        { role: "system", content: [], output_config: { effort: "low" } },
        assistant("a1"),
        {
          role: "system",
          content: [
            { type: "tool_addition", tool: { type: "tool_definition", definition } },
            { type: "tool_addition", tool: { type: "tool_reference", name: "WebFetch" } },
            { type: "tool_removal", tool: { type: "tool_reference", name: "Workflow" } },
          ],
        },
      ],
    });
    expect(out.messages).toEqual([
      { role: "user", content: "q1" },
      { role: "assistant", content: "a1" },
      {
        role: "user",
        content:
          "<system-reminder>\nTool mcp__tickets__lookup is now available.\n\nTool WebFetch is now available.\n\nTool Workflow is no longer available; do not call it.\n</system-reminder>",
      },
    ]);
    expect(JSON.stringify(out)).not.toMatch(/defer_loading|output_config|effort/);
  });

  it("an unknown role is a 400 TranslateError, not a crash", () => {
    const bad = { role: "developer", content: "x" } as unknown as AnthropicMessageParam;
    expect(() => convert({ messages: [bad] })).toThrow(expect.objectContaining({ code: "E_INVALID_MESSAGE", status: 400, path: "messages.0.role" }));
  });
});

describe("convertAnthropicToOpenAI: tool results and tool calls", () => {
  it("puts tool results first, as tool messages, before the rest of the user turn", () => {
    const out = convert({
      messages: [
        assistant([
          { type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "/a" } },
          { type: "tool_use", id: "toolu_2", name: "Read", input: {} },
        ]),
        user([
          { type: "text", text: "Also check b." },
          {
            type: "tool_result",
            tool_use_id: "toolu_1",
            content: [
              { type: "text", text: "line 1" },
              { type: "text", text: "line 2" },
            ],
          },
          { type: "tool_result", tool_use_id: "toolu_2", is_error: true, content: "File does not exist." },
        ]),
      ],
    });
    expect(out.messages).toEqual([
      {
        role: "assistant",
        content: "",
        tool_calls: [
          { id: "toolu_1", type: "function", function: { name: "Read", arguments: '{"file_path":"/a"}' } },
          { id: "toolu_2", type: "function", function: { name: "Read", arguments: "{}" } },
        ],
      },
      { role: "tool", tool_call_id: "toolu_1", content: "line 1\n\nline 2" },
      { role: "tool", tool_call_id: "toolu_2", content: "Error: File does not exist." },
      { role: "user", content: "Also check b." },
    ]);
  });

  it("drops images inside tool results with a placeholder, even with vision; empty content stays empty", () => {
    const out = convert(
      {
        messages: [
          user([
            {
              type: "tool_result",
              tool_use_id: "toolu_1",
              content: [
                { type: "text", text: "Screenshot:" },
                { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBOR" } },
              ],
            },
            { type: "tool_result", tool_use_id: "toolu_2" },
          ]),
        ],
      },
      { vision: true },
    );
    expect(out.messages).toEqual([
      { role: "tool", tool_call_id: "toolu_1", content: "Screenshot:\n\n[image omitted]" },
      { role: "tool", tool_call_id: "toolu_2", content: "" },
    ]);
  });

  it("ToolSearch's tool references say which tools are now available; the tool_result is kept, in both tool modes", () => {
    const messages = [
      assistant([{ type: "tool_use" as const, id: "toolu_s", name: "ToolSearch", input: { query: "select:WebFetch,WebSearch" } }]),
      user([
        {
          type: "tool_result",
          tool_use_id: "toolu_s",
          content: [
            { type: "tool_reference", tool_name: "WebFetch" },
            { type: "tool_reference", tool_name: "WebSearch" },
          ],
        },
      ]),
    ];
    expect(convert({ messages }).messages.at(-1)).toEqual({
      role: "tool",
      tool_call_id: "toolu_s",
      content: "Tool WebFetch is now available.\n\nTool WebSearch is now available.",
    });
    expect(convert({ messages }, { toolMode: "xml" }).messages.at(-1)).toEqual({
      role: "user",
      content: '<tool_result name="ToolSearch" tool_use_id="toolu_s">\nTool WebFetch is now available.\n\nTool WebSearch is now available.\n</tool_result>',
    });
  });

  it("a missing tool input renders as {}; arguments keep the input's key order", () => {
    const out = convert({
      messages: [
        assistant([
          { type: "tool_use", id: "t1", name: "TaskList", input: undefined },
          { type: "tool_use", id: "t2", name: "Edit", input: { old_string: "a", new_string: "b", file_path: "/f" } },
        ]),
      ],
    });
    const [message] = out.messages;
    expect(message?.role === "assistant" && message.tool_calls?.map((call) => call.function.arguments)).toEqual([
      "{}",
      '{"old_string":"a","new_string":"b","file_path":"/f"}',
    ]);
  });

  it("xml mode renders calls and results as text and sends no tools", () => {
    const out = convert(
      {
        tools: [readTool],
        messages: [
          user("read a"),
          assistant([
            { type: "text", text: "Reading." },
            { type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "/a", limit: 20 } },
          ]),
          user([{ type: "tool_result", tool_use_id: "toolu_1", content: "1: x" }]),
        ],
      },
      { toolMode: "xml" },
    );
    expect(out.tools).toBeUndefined();
    expect(out.messages).toEqual([
      { role: "user", content: "read a" },
      {
        role: "assistant",
        content: 'Reading.\n\n<invoke name="Read">\n<parameter name="file_path">/a</parameter>\n<parameter name="limit">20</parameter>\n</invoke>',
      },
      { role: "user", content: '<tool_result name="Read" tool_use_id="toolu_1">\n1: x\n</tool_result>' },
    ]);
  });
});

describe("convertAnthropicToOpenAI: thinking, images, documents", () => {
  const withThinking = [
    user("2+2?"),
    assistant([
      { type: "thinking", thinking: "Simple.", signature: "" },
      { type: "redacted_thinking", data: "EmwKAhgB" },
      { type: "text", text: "4" },
    ]),
  ];

  it("drops thinking blocks when stripping", () => {
    expect(convert({ messages: withThinking }).messages[1]).toEqual({ role: "assistant", content: "4" });
  });

  it("sends thinking back as reasoning_content when exposing (redacted thinking never)", () => {
    expect(convert({ messages: withThinking }, { thinking: "expose" }).messages[1]).toEqual({
      role: "assistant",
      content: "4",
      reasoning_content: "Simple.",
    });
  });

  it("images become image_url parts with vision", () => {
    const out = convert(
      {
        messages: [
          user([
            { type: "text", text: "What is this?" },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBOR" } },
            { type: "image", source: { type: "url", url: "https://example.com/a.jpg" } },
          ]),
        ],
      },
      { vision: true },
    );
    expect(out.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "What is this?" },
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBOR" } },
          { type: "image_url", image_url: { url: "https://example.com/a.jpg" } },
        ],
      },
    ]);
  });

  it("an image without vision is a 400 TranslateError naming the profile and the block", () => {
    const request = {
      messages: [user("hi"), assistant("hello"), user([{ type: "image" as const, source: { type: "url" as const, url: "u" } }])],
    };
    let caught: unknown;
    try {
      convert(request, { profileName: "qwen3-coder-30b" });
    } catch (error) {
      caught = error;
    }
    expect(TranslateError.isInstance(caught)).toBe(true);
    expect(caught).toMatchObject({
      code: "E_VISION_UNSUPPORTED",
      status: 400,
      type: "invalid_request_error",
      path: "messages.2.content.0",
      message: 'model profile "qwen3-coder-30b" has no vision support, but messages.2.content.0 is an image. Remove the image or use a profile with vision.',
    });
  });

  it("documents: plain text inlined, PDFs replaced by a placeholder", () => {
    const out = convert({
      messages: [
        user([
          { type: "document", title: "notes.txt", source: { type: "text", media_type: "text/plain", data: "buy milk" } },
          { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0" } },
          { type: "text", text: "Summarize." },
        ]),
      ],
    });
    expect(out.messages).toEqual([
      {
        role: "user",
        content:
          '<document title="notes.txt">\nbuy milk\n</document>\n\n' + "[document omitted: this model cannot read application/pdf documents]\n\nSummarize.",
      },
    ]);
  });
});

describe("convertAnthropicToOpenAI: tools and tool_choice", () => {
  const serverTool = { type: "web_search_20250305", name: "web_search", max_uses: 5 };
  const decorated = {
    ...writeTool,
    cache_control: { type: "ephemeral" as const },
    strict: true,
    defer_loading: true,
    eager_input_streaming: true,
  };

  it("keeps custom tools in order with only name, description and schema", () => {
    const out = convert({ tools: [decorated, serverTool, { name: "Ping", input_schema: { type: "object" } }] });
    expect(out.tools).toEqual([
      { type: "function", function: { name: "Write", description: writeTool.description, parameters: writeTool.input_schema } },
      { type: "function", function: { name: "Ping", parameters: { type: "object" } } },
    ]);
  });

  it("tool_choice none omits the tools; auto adds nothing", () => {
    expect(convert({ tools: [readTool], tool_choice: { type: "none" }, messages: [user("hi")] })).toEqual({
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 1024,
      stream: false,
    });
    expect(convert({ tools: [readTool], tool_choice: { type: "auto" }, messages: [user("hi")] }).messages).toEqual([{ role: "user", content: "hi" }]);
  });

  it("tool_choice any / tool become a hint at the end; disable_parallel_tool_use is passed on", () => {
    const any = convert({
      tools: [readTool],
      tool_choice: { type: "any", disable_parallel_tool_use: true },
      messages: [user("hi")],
    });
    expect(any.messages).toEqual([
      {
        role: "user",
        content: "hi\n\n<system-reminder>\nYou must call at least one of the available tools in your reply.\n</system-reminder>",
      },
    ]);
    expect(any.parallel_tool_calls).toBe(false);
    const named = convert({
      tools: [readTool],
      tool_choice: { type: "tool", name: "Read" },
      messages: [
        user("hi"),
        assistant([{ type: "tool_use", id: "t", name: "Read", input: {} }]),
        user([{ type: "tool_result", tool_use_id: "t", content: "x" }]),
      ],
    });
    expect(named.messages.at(-1)).toEqual({
      role: "user",
      content: '<system-reminder>\nYou must call the tool "Read" in your reply.\n</system-reminder>',
    });
  });
});

describe("convertAnthropicToOpenAI: what the server enforces (tool_choice, output_config.format)", () => {
  const llamaServer = { requiredToolChoice: true, namedToolChoice: false, jsonSchemaOutput: true };
  const vllm = { requiredToolChoice: true, namedToolChoice: true, jsonSchemaOutput: true };
  const reminder = (text: string) => `hi\n\n<system-reminder>\n${text}\n</system-reminder>`;
  const titleSchema = { type: "object", properties: { title: { type: "string" } }, required: ["title"], additionalProperties: false };

  it("a server that forces calls gets tool_choice instead of words; one that cannot take a name is offered that tool alone", () => {
    const any = convert({ tools: [readTool, writeTool], tool_choice: { type: "any" }, messages: [user("hi")] }, { serverFeatures: llamaServer });
    expect(any.tool_choice).toBe("required");
    expect(any.tools?.map((tool) => tool.function.name)).toEqual(["Read", "Write"]);
    expect(any.messages).toEqual([{ role: "user", content: "hi" }]);

    // llama-server reads an object tool_choice as "auto": "required" over the one tool is what its grammar enforces.
    const named = convert(
      { tools: [readTool, writeTool], tool_choice: { type: "tool", name: "Write" }, messages: [user("hi")] },
      { serverFeatures: llamaServer },
    );
    expect(named.tool_choice).toBe("required");
    expect(named.tools?.map((tool) => tool.function.name)).toEqual(["Write"]);
    expect(named.messages).toEqual([{ role: "user", content: "hi" }]);

    const byName = convert({ tools: [readTool, writeTool], tool_choice: { type: "tool", name: "Write" }, messages: [user("hi")] }, { serverFeatures: vllm });
    expect(byName.tool_choice).toEqual({ type: "function", function: { name: "Write" } });
    expect(byName.messages).toEqual([{ role: "user", content: "hi" }]);
    expect(Object.keys(byName)).toEqual(["messages", "tools", "tool_choice", "max_tokens", "stream"]);
  });

  it("xml tool mode asks in words whatever the server takes: the tools are not in the request", () => {
    const out = convert({ tools: [readTool], tool_choice: { type: "any" }, messages: [user("hi")] }, { serverFeatures: vllm, toolMode: "xml" });
    expect(out).not.toHaveProperty("tool_choice");
    expect(out.messages).toEqual([{ role: "user", content: reminder("You must call at least one of the available tools in your reply.") }]);
  });

  it("output_config.format becomes response_format where the server constrains output, else a request in words", () => {
    const request = { messages: [user("hi")], output_config: { effort: "high", format: { type: "json_schema" as const, schema: titleSchema } } };
    const constrained = convert(request, { serverFeatures: llamaServer });
    expect(constrained.response_format).toEqual({ type: "json_schema", json_schema: { name: "response", schema: titleSchema, strict: true } });
    expect(constrained.messages).toEqual([{ role: "user", content: "hi" }]);

    const mlx = convert(request);
    expect(mlx).not.toHaveProperty("response_format");
    expect(mlx.messages).toEqual([
      {
        role: "user",
        content: reminder(`Reply with only a JSON object that matches this JSON schema, with no other text before or after it: ${JSON.stringify(titleSchema)}`),
      },
    ]);
    expect(convert({ messages: [user("hi")], output_config: { effort: "high" } }).messages).toEqual([{ role: "user", content: "hi" }]);
  });

  it("both requests in words share one reminder", () => {
    const out = convert({
      tools: [readTool],
      tool_choice: { type: "any" },
      messages: [user("hi")],
      output_config: { format: { type: "json_schema", schema: titleSchema } },
    });
    expect(out.messages.at(-1)?.content).toBe(
      reminder(
        `You must call at least one of the available tools in your reply.\nReply with only a JSON object that matches this JSON schema, with no other text before or after it: ${JSON.stringify(titleSchema)}`,
      ),
    );
  });
});

describe("convertAnthropicToOpenAI: parameters", () => {
  it("always sends max_tokens = min(request, profile cap)", () => {
    expect(convert({ max_tokens: 64000 }, { maxOutputTokens: 8192 }).max_tokens).toBe(8192);
    expect(convert({ max_tokens: 100 }, { maxOutputTokens: 8192 }).max_tokens).toBe(100);
  });

  it("copies sampling from the request over the profile's defaults", () => {
    const sampling = { temperature: 0.7, top_p: 0.8, top_k: 20, min_p: 0, repetition_penalty: 1.05 };
    expect(convert({ temperature: 1, top_k: 40 }, { sampling })).toMatchObject({
      temperature: 1,
      top_p: 0.8,
      top_k: 40,
      min_p: 0,
      repetition_penalty: 1.05,
    });
    expect(convert({})).not.toHaveProperty("temperature");
  });

  it("stop_sequences are not sent as stop: mallex matches them on the answer itself", () => {
    expect(convert({ stop_sequences: ["</answer>"] })).not.toHaveProperty("stop");
    expect(convert({ stop_sequences: [] })).not.toHaveProperty("stop");
  });

  it("maps thinking to enable_thinking; the profile's enableThinking overrides", () => {
    const kwargs = (request: Partial<MessagesRequest>, options: Partial<TranslateOptions> = {}) => convert(request, options).chat_template_kwargs;
    expect(kwargs({ thinking: { type: "enabled", budget_tokens: 31999 } })).toEqual({ enable_thinking: true });
    expect(kwargs({ thinking: { type: "adaptive" } })).toEqual({ enable_thinking: true });
    expect(kwargs({ thinking: { type: "disabled" } })).toEqual({ enable_thinking: false });
    expect(kwargs({})).toBeUndefined();
    expect(kwargs({ thinking: { type: "adaptive" } }, { enableThinking: false })).toEqual({ enable_thinking: false });
    expect(kwargs({}, { enableThinking: true })).toEqual({ enable_thinking: true });
  });

  it("asks for usage only when streaming, and names a model only when the profile says so", () => {
    expect(convert({ stream: true })).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(convert({ stream: false })).not.toHaveProperty("stream_options");
    expect(convert({ model: "claude-opus-4-8" })).not.toHaveProperty("model");
    expect(convert({}, { upstreamModel: "qwen3-coder" }).model).toBe("qwen3-coder");
  });
});

describe("convertAnthropicToOpenAI: merging", () => {
  it("merges adjacent same-role messages; tool messages stay separate", () => {
    const out = convert({
      system: "S",
      messages: [
        user("a"),
        user([{ type: "text", text: "b" }]),
        assistant([
          { type: "text", text: "c" },
          { type: "tool_use", id: "t1", name: "Read", input: { file_path: "/x" } },
        ]),
        assistant([{ type: "tool_use", id: "t2", name: "Read", input: { file_path: "/y" } }]),
        user([
          { type: "tool_result", tool_use_id: "t1", content: "X" },
          { type: "tool_result", tool_use_id: "t2", content: "Y" },
        ]),
        { role: "system", content: "reminder" },
      ],
    });
    expect(out.messages).toMatchInlineSnapshot(`
      [
        {
          "content": "S",
          "role": "system",
        },
        {
          "content": "a

      b",
          "role": "user",
        },
        {
          "content": "c",
          "role": "assistant",
          "tool_calls": [
            {
              "function": {
                "arguments": "{"file_path":"/x"}",
                "name": "Read",
              },
              "id": "t1",
              "type": "function",
            },
            {
              "function": {
                "arguments": "{"file_path":"/y"}",
                "name": "Read",
              },
              "id": "t2",
              "type": "function",
            },
          ],
        },
        {
          "content": "X",
          "role": "tool",
          "tool_call_id": "t1",
        },
        {
          "content": "Y",
          "role": "tool",
          "tool_call_id": "t2",
        },
        {
          "content": "<system-reminder>
      reminder
      </system-reminder>",
          "role": "user",
        },
      ]
    `);
  });
});
