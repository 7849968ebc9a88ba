import { describe, expect, it } from "vitest";
import { userTurnText } from "../../src/router/classifier-prompt.js";
import { continuedMessages, isGoOnTurn, recognizeContinuation } from "../../src/router/continued-request.js";
import { describeRequest } from "../../src/router/describe-request.js";
import { routeOffline } from "../../src/router/route-offline.js";
import { recognizeCompaction } from "../../src/trim/fit-compaction-and-continuation.js";
import type { AnthropicMessageParam, MessagesRequest } from "../../src/translate/anthropic-types.js";
import { outputCapNote } from "../../src/translate/output-cap-note.js";
import { compileShipped } from "../helpers/trim-helpers.js";

/**
 * Each wording Claude Code asks to go on with, as its releases send it (2.1.100's cli.js; the strings of
 * 2.1.197's and 2.1.332's binaries).
 */
const GO_ON = [
  "Output token limit hit. Resume directly \u2014 no apology, no recap of what you were doing. Pick up mid-thought if that is where the cut happened. Break remaining work into smaller pieces.",
  "Output token limit hit while you were still reasoning, before this response produced any text or tool call. That reasoning was not kept and is not part of this conversation, so there is nothing to resume.",
  "Output token limit hit. Your caller does not receive an answer in pieces. If you were giving your final answer, give the whole answer again, more briefly \u2014 no apology, no mention of the cut-off. Otherwise continue the work in smaller pieces.",
  "Output token limit hit again, so this summary is too long to finish. Give the whole summary again from the start in one <summary> block of at most about 2,000 words.",
  "Your response was cut off because it exceeded the output token limit. Continue from where you left off and finish the response. Start a new code fence or table header first if you were inside one.",
  "Your response was cut off because it exceeded the output token limit. The cut fell inside a tool call, so that call did not run and nothing of it was kept.",
  "[Your previous response reached the output limit with no visible output. Please continue and produce a brief user-visible response or tool call right away.]",
  "Your response above was cut off mid-stream. Resume directly from where it stops \u2014 no apology, no recap. If none of it survived, answer the request from the start.",
];

const INSTRUCTIONS =
  "CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.\nYour task is to create a detailed summary of the conversation so far. <summary>";
const goOnBlock = () => ({ type: "text" as const, text: `<system-reminder>\n${GO_ON[0]}\n</system-reminder>\n` });
const piece = (text: string): AnthropicMessageParam => ({ role: "assistant", content: [{ type: "text", text: `${text}${outputCapNote(256, "tiny", 4096)}` }] });
const goOn = (text = GO_ON[0]!): AnthropicMessageParam => ({ role: "user", content: [{ type: "text", text }] });
const request = (messages: AnthropicMessageParam[]): MessagesRequest => ({ model: "m", max_tokens: 32000, messages });

const ASK = "Design a plan for the cache, with the trade-offs";
const asked: AnthropicMessageParam[] = [
  {
    role: "user",
    content: [
      { type: "text", text: "<system-reminder>\nContext.\n</system-reminder>" },
      { type: "text", text: ASK },
    ],
  },
];

describe("isGoOnTurn", () => {
  it.each(GO_ON)("knows Claude Code's request to go on: %s", (text) => {
    expect(isGoOnTurn(goOn(text))).toBe(true);
    expect(isGoOnTurn({ role: "user", content: text })).toBe(true);
    // A reminder Claude Code puts beside it changes nothing.
    expect(
      isGoOnTurn({
        role: "user",
        content: [
          { type: "text", text: "<system-reminder>\nx\n</system-reminder>" },
          { type: "text", text },
        ],
      }),
    ).toBe(true);
  });

  it("knows 2.1.332's, which comes in a <system-reminder> (as sent, and unwrapped by the reminder filters)", () => {
    const wrapped = `<system-reminder>\n${GO_ON[0]}\n</system-reminder>\n`;
    expect(isGoOnTurn({ role: "user", content: [{ type: "text", text: wrapped }] })).toBe(true);
    expect(isGoOnTurn({ role: "user", content: [{ type: "text", text: `${GO_ON[0]}\n` }] })).toBe(true);
  });

  it("is not a turn with other words beside it: the user's, or the summary instructions 2.1.332 sends after it when it compacts first", () => {
    expect(isGoOnTurn({ role: "user", content: [goOnBlock(), { type: "text", text: "and also fix the typo" }] })).toBe(false);
    expect(isGoOnTurn({ role: "user", content: [goOnBlock(), { type: "text", text: INSTRUCTIONS }] })).toBe(false);
    expect(isGoOnTurn({ role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: GO_ON[0]! }] })).toBe(false);
  });

  it("is not the user's words that mention it, nor an assistant turn", () => {
    expect(isGoOnTurn({ role: "user", content: "Why did I get 'Output token limit hit'?" })).toBe(false);
    expect(isGoOnTurn({ role: "user", content: "please resume directly" })).toBe(false);
    expect(isGoOnTurn({ role: "assistant", content: GO_ON[0]! })).toBe(false);
    expect(isGoOnTurn(undefined)).toBe(false);
  });
});

describe("recognizeContinuation", () => {
  it("finds where the cut answer starts, after any number of pieces and requests to go on", () => {
    expect(recognizeContinuation([...asked, piece("one"), goOn()])).toEqual({ answerStart: 1 });
    expect(recognizeContinuation([...asked, piece("one"), goOn(), piece("two"), goOn(GO_ON[4])])).toEqual({ answerStart: 1 });
    const earlier: AnthropicMessageParam[] = [...asked, { role: "assistant", content: "Done." }, { role: "user", content: "now the docs" }];
    expect(recognizeContinuation([...earlier, piece("one"), goOn()])).toEqual({ answerStart: 3 });
  });

  it("is undefined for any other request", () => {
    expect(recognizeContinuation(asked)).toBeUndefined();
    expect(recognizeContinuation([...asked, piece("one"), { role: "user", content: "go on" }])).toBeUndefined();
    expect(recognizeContinuation([goOn()])).toBeUndefined();
  });

  it("continuedMessages is the request whose answer was cut", () => {
    expect(continuedMessages([...asked, piece("one"), goOn(), piece("two"), goOn()])).toEqual(asked);
    expect(continuedMessages(asked)).toBe(asked);
  });
});

describe("a request to go on is routed as the request it continues", () => {
  it("by the user's words, not Claude Code's (the intents and the classifier see the prompt)", () => {
    const continued = request([...asked, piece("one"), goOn(), piece("two"), goOn()]);
    const facts = describeRequest(continued);
    expect(facts).toMatchObject({ latestUserText: ASK, turn: "user" });
    expect(describeRequest(request(asked))).toMatchObject({ latestUserText: ASK, turn: "user" });
    expect(userTurnText(continued)).toBe(ASK);
  });

  it("so the continued answer keeps its tier: the shipped intents send the prompt to high, and its requests to go on with it (they went to medium, Claude Code's words matching no intent)", () => {
    const table = compileShipped().table;
    const env = { ANTHROPIC_API_KEY: "sk-test" };
    const tierOf = (messages: AnthropicMessageParam[]) => {
      const routed = routeOffline(request(messages), table, env);
      if (!routed.ok) throw new Error("not routed");
      return routed.route.tier;
    };
    expect(tierOf(asked)).toBe("high");
    expect(tierOf([...asked, piece("one"), goOn()])).toBe("high");
    expect(tierOf([...asked, piece("one"), goOn(), piece("two"), goOn(GO_ON[4])])).toBe("high");
  });

  it("a cut answer to a tool result stays a tool round trip, of the user's turn", () => {
    const round: AnthropicMessageParam[] = [
      ...asked,
      { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Read", input: { file_path: "/p/a.ts" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "code" }] },
    ];
    const continued = request([...round, piece("the fix is"), goOn()]);
    expect(describeRequest(continued)).toMatchObject({ latestUserText: "", turn: "tool_result" });
    expect(userTurnText(continued)).toBe(ASK);
  });
});

describe("recognizeCompaction with a summary cut at the output limit", () => {
  it("2.1.332 compacting right after a cut answer: its request to go on, then the instructions, in one turn (it was taken for a request to go on, the compaction refused as too long)", () => {
    const messages: AnthropicMessageParam[] = [...asked, piece("One is"), { role: "user", content: [goOnBlock(), { type: "text", text: INSTRUCTIONS }] }];
    expect(recognizeCompaction({ messages })).toEqual({ instructionBlock: 1, instructionMessage: 2 });
    expect(recognizeContinuation(messages)).toBeUndefined();
    // The same once the reminder filters have unwrapped its request to go on.
    const unwrapped: AnthropicMessageParam = {
      role: "user",
      content: [
        { type: "text", text: `${GO_ON[0]}\n` },
        { type: "text", text: INSTRUCTIONS },
      ],
    };
    expect(recognizeCompaction({ messages: [...messages.slice(0, -1), unwrapped] })).toEqual({ instructionBlock: 1, instructionMessage: 2 });
  });

  it("takes every wording of the request to go on, 2.1.332's last ('…hit again, so this summary is too long…') included", () => {
    const instructions: AnthropicMessageParam = {
      role: "user",
      content: [
        {
          type: "text",
          text: "CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.\nYour task is to create a detailed summary of the conversation so far. <summary>",
        },
      ],
    };
    const messages = [
      ...asked,
      { role: "assistant", content: "ok" } as AnthropicMessageParam,
      instructions,
      piece("<summary>a"),
      goOn(),
      piece("<summary>b"),
      goOn(GO_ON[3]),
    ];
    expect(recognizeCompaction({ messages })).toEqual({ instructionBlock: 0, instructionMessage: 2 });
  });
});
