import { describe, expect, it } from "vitest";
import { createTrailingTokenDropper } from "../../src/translate/model-text/drop-trailing-tokens.js";
import { markupFor } from "../../src/translate/model-text/family-markup.js";
import { createReasoningSplitter, type ContentPart } from "../../src/translate/model-text/split-think-tags.js";
import { createControlTokenStripper } from "../../src/translate/model-text/strip-control-tokens.js";

/** Every 2-way split and 1-character pieces, against the text fed whole. */
function everySplit(text: string): string[][] {
  const splits = [[text], [...text]];
  for (let at = 1; at < text.length; at++) splits.push([text.slice(0, at), text.slice(at)]);
  return splits;
}

function split(pieces: readonly string[], format: Parameters<typeof markupFor>[0] = "auto"): ContentPart[] {
  const splitter = createReasoningSplitter(markupFor(format).reasoning);
  const parts = [...pieces.flatMap((piece) => splitter.feed(piece)), ...splitter.end()];
  const merged: ContentPart[] = [];
  for (const part of parts) {
    const last = merged.at(-1);
    if (last?.kind === part.kind) last.text += part.text;
    else merged.push({ ...part });
  }
  return merged;
}

const expectSplit = (text: string, expected: ContentPart[], format: Parameters<typeof markupFor>[0] = "auto"): void => {
  for (const pieces of everySplit(text)) expect(split(pieces, format), JSON.stringify(pieces)).toEqual(expected);
};

const reasoning = (text: string): ContentPart => ({ kind: "reasoning", text });
const answer = (text: string): ContentPart => ({ kind: "text", text });

describe("createReasoningSplitter", () => {
  it("reads each family's markers at the answer's start, after whitespace", () => {
    expectSplit("\n<seed:think>plan</seed:think>Done.", [answer("\n"), reasoning("plan"), answer("Done.")]);
    expectSplit("[THINK]plan[/THINK]Done.", [reasoning("plan"), answer("Done.")], "mistral");
    expectSplit("<|START_THINKING|>plan<|END_THINKING|><|START_RESPONSE|>Hi", [reasoning("plan"), answer("<|START_RESPONSE|>Hi")]);
    expectSplit("<|channel>thought\nplan<channel|>Hi", [reasoning("\nplan"), answer("Hi")]);
  });

  it("takes the longest spelling of an open marker (harmony's header before its analysis channel)", () => {
    expectSplit(
      "<|channel|>analysis<|message|>a<|end|><|start|>assistant<|channel|>analysis<|message|>b<|end|><|start|>assistant<|channel|>final<|message|>Hi",
      [reasoning("ab"), answer("<|start|>assistant<|channel|>final<|message|>Hi")],
    );
  });

  it("reads several reasoning blocks in a row, and none once the answer has begun", () => {
    expectSplit("<think>a</think>\n<think>b</think>Hi <think>c</think>", [reasoning("a"), answer("\n"), reasoning("b"), answer("Hi <think>c</think>")]);
  });

  it("inside reasoning, only its own close marker ends it", () => {
    expectSplit("<seed:think>not </think> yet</seed:think>Hi", [reasoning("not </think> yet"), answer("Hi")]);
  });

  it("a call the model starts from unclosed thoughts ends them and is left for the parser (Qwen3, Kimi K2)", () => {
    expectSplit("<think>I will read it.<tool_call>{}</tool_call>", [reasoning("I will read it."), answer("<tool_call>{}</tool_call>")], "hermes");
    expectSplit("<think>go<|tool_calls_section_begin|>x", [reasoning("go"), answer("<|tool_calls_section_begin|>x")], "kimi-k2");
  });

  it("a call the thoughts weigh and then close on is theirs; the call after the close is the answer (vLLM: reasoning parser first)", () => {
    const weighed = '<tool_call>{"name": "Bash", "arguments": {"command": "rm -rf build"}}</tool_call>';
    const real = '<tool_call>{"name": "Read", "arguments": {"file_path": "/a"}}</tool_call>';
    for (const format of ["hermes", "auto"] as const) {
      expectSplit(
        `<think>I could ${weighed} but no, reading is enough.</think>\n${real}`,
        [reasoning(`I could ${weighed} but no, reading is enough.`), answer(`\n${real}`)],
        format,
      );
      // Even naming the tag in the thoughts.
      expectSplit("<think>Use a <tool_call> block? Not yet.</think>It is 4.", [reasoning("Use a <tool_call> block? Not yet."), answer("It is 4.")], format);
      // Thoughts that weigh a call and close with no answer after: all reasoning.
      expectSplit(`<think>Not ${weighed} after all.</think>`, [reasoning(`Not ${weighed} after all.`)], format);
    }
  });

  it("an unterminated block stays reasoning; a partial marker at the end is text", () => {
    expectSplit("<think>still thinking", [reasoning("still thinking")]);
    expectSplit("  <seed:thi", [answer("  <seed:thi")]);
  });

  it("whitespace before reasoning goes out at once; a long run of it changes nothing", () => {
    expect(split([..."\n".repeat(2000), ..."<think>a</think>b"])).toEqual([answer("\n".repeat(2000)), reasoning("a"), answer("b")]);
  });

  it("harmony with its special tokens stripped: analysis at the start is reasoning, up to the final header or a call's (declared gpt-oss only)", () => {
    const call = 'assistantcommentary to=functions.Bash json{"command": "ls"}';
    expectSplit(`analysisList them.${call}`, [reasoning("List them."), answer(call)], "gpt-oss");
    expectSplit("analysisSimple sum.assistantfinalIt is 4.", [reasoning("Simple sum."), answer("It is 4.")], "gpt-oss");
    // The word itself, later or in auto, is text.
    expectSplit("The analysis shows it.", [answer("The analysis shows it.")], "gpt-oss");
    expectSplit(`analysisList them.${call}`, [answer(`analysisList them.${call}`)], "auto");
  });

  it("plain-word markers are only watched when the family is declared (Apriel)", () => {
    const text = "Here are my reasoning steps:\nplan\n[BEGIN FINAL RESPONSE]\nHi";
    expectSplit(text, [reasoning("\nplan\n"), answer("\nHi")], "apriel");
    expectSplit(text, [answer(text)], "auto");
  });
});

function strip(pieces: readonly string[], tokens: readonly string[]): string {
  const stripper = createControlTokenStripper(tokens);
  return pieces.map((piece) => stripper.feed(piece)).join("") + stripper.release();
}

describe("createControlTokenStripper", () => {
  const tokens = markupFor("auto").controlTokens;
  const expectStripped = (text: string, expected: string): void => {
    for (const pieces of everySplit(text)) expect(strip(pieces, tokens), JSON.stringify(pieces)).toBe(expected);
  };

  it("removes every family's end-of-turn and framing tokens from text", () => {
    expectStripped("Hi.<|im_end|>", "Hi.");
    expectStripped("<|START_RESPONSE|>Hi.<|END_RESPONSE|><|END_OF_TURN_TOKEN|>", "Hi.");
    expectStripped("a<｜end▁of▁sentence｜>\nb<seed:eos> \nc<turn|>\nd[e~[", "a\nb \nc\nd");
  });

  it("keeps a token the model names inside a sentence", () => {
    const text = "Calls close with <|call|>, and <|im_end|> ends a turn.";
    expectStripped(text, text);
    expectStripped(`${text}<|im_end|>`, text);
  });

  it("removes a stray reasoning close marker (reasoning the template opened in the prompt)", () => {
    expectStripped("planned</think>\n\nHi", "planned\n\nHi");
  });

  it("keeps tokens quoted in inline code or a fenced block", () => {
    const text = "End with `<|im_end|>` or ``<|eot_id|>``.\n```jinja\n{{ '<|im_end|>' }}\n<|eot_id|>\n```\nok<|im_end|>";
    expectStripped(text, text.slice(0, -"<|im_end|>".length));
  });

  it("keeps tokens quoted in a ~~~ fence or an indented code block, as the tool-call parsers read them", () => {
    const call = "<|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{}<|call|>";
    expectStripped(`Running it:\n\n~~~\n${call}\n~~~\n`, `Running it:\n\n~~~\n${call}\n~~~\n`);
    expectStripped(`It looks like this:\n\n    ${call}\n\nok<|im_end|>`, `It looks like this:\n\n    ${call}\n\nok`);
    expectStripped(`    ${call}`, `    ${call}`);
    // A ``` line inside a ~~~ fence is its content, not its end; after the fence, tokens frame the turn again.
    expectStripped("~~~~\n```\n<|im_end|>\n~~~~\nok<|im_end|>", "~~~~\n```\n<|im_end|>\n~~~~\nok");
    // Four columns right under prose continue the paragraph (no blank line): not code.
    expectStripped("Done:\n    <|im_end|>", "Done:\n    ");
    // A line of one or two tildes is text.
    expectStripped("~~\n<|im_end|>", "~~\n");
  });

  it("leaves a partial token at the end as text", () => {
    expectStripped("a < b <|im_en", "a < b <|im_en");
  });

  it("a span left open by its line does not shelter the next line", () => {
    expectStripped("an odd ` here\nthen<|im_end|>", "an odd ` here\nthen");
  });
});

function dropTrailing(pieces: readonly string[], tokens: readonly string[]): string {
  const dropper = createTrailingTokenDropper(tokens);
  return pieces.map((piece) => dropper.feed(piece)).join("") + dropper.end();
}

describe("createTrailingTokenDropper", () => {
  const tokens = markupFor("auto").trailingTokens;
  const expectDropped = (text: string, expected: string): void => {
    for (const pieces of everySplit(text)) expect(dropTrailing(pieces, tokens), JSON.stringify(pieces)).toBe(expected);
  };

  it("drops the tokens the output ends with, and the whitespace among them", () => {
    expectDropped('[TOOL_CALLS]Read[ARGS]{"a": 1}<|eot_id|>\n', '[TOOL_CALLS]Read[ARGS]{"a": 1}');
    expectDropped("Hi.[e~[\n<|im_end|> \n", "Hi.");
  });

  it("passes a token that more text follows, and a partial token at the end", () => {
    expectDropped("a<|im_end|>b", "a<|im_end|>b");
    expectDropped("a <|im_e", "a <|im_e");
  });

  it("a long closing run fed a character at a time is dropped whole, and text after it releases it all", () => {
    const run = `${"<|im_end|>\n".repeat(50)}${" ".repeat(500)}`;
    expect(dropTrailing([..."Hi.", ...run], tokens)).toBe("Hi.");
    expect(dropTrailing([..."Hi.", ...run, ..."more"], tokens)).toBe(`Hi.${run}more`);
  });

  it("leaves alone the tokens a parser reads as its markers (gpt-oss's <|call|>)", () => {
    expect(tokens).not.toContain("<|call|>");
    expectDropped('{"a": 1}<|call|>', '{"a": 1}<|call|>');
  });
});
