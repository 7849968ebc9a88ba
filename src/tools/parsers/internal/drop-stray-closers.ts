import type { ToolCallTextParser, ToolParseEvent } from "../types.js";
import type { CallBlock } from "./marker-scanner.js";

/**
 * Closing tags and end-of-turn tokens a model writes after a call that its format does not close
 * with: Qwen3-Coder's `</tool_call>` after a bare `<function=…>` call (Ollama#17742: about one tool
 * turn in five), Mistral's `</s>` after `[TOOL_CALLS]`, a ChatML or Llama 3 end token a server left in.
 * Right after a call, with only whitespace between, they are the call's leftovers, never the answer.
 * A family's own closers count too (familyClosers): a model that writes its end marker twice.
 */
const STRAY_CLOSERS = ["</tool_call>", "</tool_calls>", "</function_calls>", "</s>", "<|im_end|>", "<|eot_id|>", "<|end|>", "<|endoftext|>"];

/**
 * A family's own closing tags, written again after its call (`</TOOLCALL>`, `<|END_ACTION|>`,
 * `<tool_call|>`…): its blocks' end markers that are whole tags, and the end-of-message tokens it
 * reads as blocks of their own (gpt-oss's `<|call|>`). Not a fence (Gemma 3's end marker opens a
 * code block) nor a bare `|>`.
 */
export function familyClosers(blocks: readonly CallBlock[]): string[] {
  const tags = blocks.flatMap((block) => (block.end === "" ? [block.start] : block.end === null ? [] : [block.end]));
  return [...new Set(tags.filter((tag) => /^<.+>$/su.test(tag)))];
}

/**
 * `parser` with the stray closers that follow a call (and the whitespace before them) dropped, in any
 * family and chunking: text after a call is held only while it could still be whitespace and such a
 * closer, and goes on unchanged as soon as it cannot.
 */
export function dropStrayClosers(parser: ToolCallTextParser, own: readonly string[] = []): ToolCallTextParser {
  const closers = [...new Set([...STRAY_CLOSERS, ...own])];
  let afterCall = false;
  let held = "";
  const pass = (events: readonly ToolParseEvent[], final: boolean): ToolParseEvent[] => {
    const out: ToolParseEvent[] = [];
    const release = () => {
      if (held !== "") out.push({ type: "text", text: held });
      held = "";
      afterCall = false;
    };
    for (const event of events) {
      if (event.type !== "text") {
        release();
        out.push(event);
        afterCall = true;
        continue;
      }
      if (!afterCall) {
        out.push(event);
        continue;
      }
      held += event.text;
      for (;;) {
        const rest = held.trimStart();
        const closer = closers.find((token) => rest.startsWith(token));
        if (closer !== undefined) {
          held = rest.slice(closer.length);
          continue;
        }
        if (rest !== "" && !closers.some((token) => token.startsWith(rest))) release();
        break;
      }
    }
    if (final) release();
    return out;
  };
  return {
    feed: (chunk) => pass(parser.feed(chunk), false),
    end: () => pass(parser.end(), true),
  };
}
