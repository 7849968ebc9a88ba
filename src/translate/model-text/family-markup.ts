/**
 * Each tool-call family's markup that is not a tool call: how its model wraps reasoning, and the
 * end-of-turn / framing tokens a server leaks into content when it does not stop on them or render
 * special tokens away. Read from the families' chat templates and llama.cpp's `common/chat.cpp`
 * (`thinking_start_tag` / `thinking_end_tags`, the templates' `eos_token`s and turn tokens).
 *
 * A `Record` over every format, so a new family cannot be added without saying what its markup is.
 */
import { FAMILIES } from "../../tools/parsers/families.js";
import type { ToolCallFormat } from "../../tools/parsers/types.js";

/** One way a model wraps its reasoning. */
export interface ReasoningMarkers {
  /** Spellings that open reasoning (the longest that matches wins). */
  readonly open: readonly string[];
  readonly close: string;
  /**
   * Markers that end reasoning the model forgot to close and begin the answer, kept as answer text:
   * Qwen3 and Kimi K2 may start a tool call straight from their thoughts (llama.cpp ends
   * reasoning there too).
   */
  readonly endsBefore?: readonly string[];
}

export interface FamilyMarkup {
  readonly reasoning: readonly ReasoningMarkers[];
  /** Tokens removed from the answer text wherever they stand outside code. */
  readonly controlTokens: readonly string[];
  /**
   * Markup only taken when the profile declares this family: plain words or tags that other
   * models write in their answers (`<thinking>`, `</s>`), too ambiguous for `auto` to watch.
   */
  readonly declaredOnly?: {
    readonly reasoning?: readonly ReasoningMarkers[];
    readonly controlTokens?: readonly string[];
  };
}

/** The markup a response is cleaned of: one family's, or every family's for `auto`. */
export interface MarkupSet {
  readonly reasoning: readonly ReasoningMarkers[];
  readonly controlTokens: readonly string[];
  /** The control tokens dropped at the output's end before calls are parsed: those no parser reads as a marker. */
  readonly trailingTokens: readonly string[];
}

/** `<think>…</think>`: written by most thinking models, whatever their tool-call format. */
const THINK: ReasoningMarkers = { open: ["<think>"], close: "</think>" };
const thinkEndingBefore = (...markers: string[]): ReasoningMarkers => ({ ...THINK, endsBefore: markers });

const CHATML_END = ["<|im_end|>", "<|endoftext|>"];
const LLAMA3_END = ["<|eot_id|>", "<|eom_id|>", "<|end_of_text|>"];
const GEMMA_END = ["<end_of_turn>", "<eos>"];

export const FAMILY_MARKUP: Readonly<Record<ToolCallFormat, FamilyMarkup>> = {
  hermes: { reasoning: [thinkEndingBefore("<tool_call>")], controlTokens: CHATML_END },
  "qwen3-coder": { reasoning: [thinkEndingBefore("<tool_call>")], controlTokens: CHATML_END },
  "functionary-v31": { reasoning: [], controlTokens: LLAMA3_END },
  // GLM stops on the next turn's role tokens.
  glm45: { reasoning: [THINK], controlTokens: ["<|endoftext|>", "<|user|>", "<|observation|>"] },
  "llama3-json": { reasoning: [], controlTokens: LLAMA3_END },
  // Magistral / Ministral reasoning models; `</s>` is also HTML's strikethrough, so only when declared.
  mistral: {
    reasoning: [{ open: ["[THINK]"], close: "[/THINK]" }],
    controlTokens: [],
    declaredOnly: { controlTokens: ["</s>"] },
  },
  "deepseek-v3": {
    reasoning: [thinkEndingBefore("<｜tool▁calls▁begin｜>")],
    controlTokens: ["<｜end▁of▁sentence｜>"],
  },
  // Either version's wrapper (V3.2's function_calls, V4's tool_calls) may follow unclosed thoughts.
  "deepseek-dsml": {
    reasoning: [thinkEndingBefore(...FAMILIES["deepseek-dsml"].blocks.map((block) => block.start))],
    controlTokens: ["<｜end▁of▁sentence｜>"],
  },
  "kimi-k2": {
    reasoning: [thinkEndingBefore("<|tool_calls_section_begin|>", "<|tool_call_begin|>")],
    controlTokens: ["<|im_end|>"],
  },
  // mallex's own template is used with any model: only the common markup.
  "mallex-xml": { reasoning: [], controlTokens: [] },
  // MiniMax-M2's end of turn is `[e~[` (its template's eos).
  "minimax-m2": { reasoning: [THINK], controlTokens: ["[e~["] },
  // Harmony: reasoning is the analysis channel; a later analysis message repeats the header. A server
  // that skips special tokens leaves the channel's name glued to the text (`analysisThe user…
  // assistantfinalHi`): a plain word at the answer's start, so only when declared; it ends at the
  // final message's header, or before a call's (read by the parser, gpt-oss.ts).
  "gpt-oss": {
    reasoning: [{ open: ["<|channel|>analysis<|message|>", "<|start|>assistant<|channel|>analysis<|message|>"], close: "<|end|>" }],
    controlTokens: ["<|end|>", "<|return|>", "<|call|>"],
    declaredOnly: { reasoning: [{ open: ["analysis"], close: "assistantfinal", endsBefore: ["assistantcommentary to=", "assistant to="] }] },
  },
  "seed-oss": { reasoning: [{ open: ["<seed:think>"], close: "</seed:think>" }], controlTokens: ["<seed:eos>"] },
  // Llama 3.2 / 4 and LFM2 (which thinks in <think>).
  pythonic: { reasoning: [THINK], controlTokens: [...LLAMA3_END, "<|eot|>", "<|im_end|>"] },
  // Granite 3.x's end of text; Phi-4-mini's `<|end|>`. Granite 3.3 thinking wraps its answer in
  // <response>…</response> (its template's instruction): plain tags, so only when declared.
  granite: {
    reasoning: [THINK],
    controlTokens: ["<|end_of_text|>", "<|end|>"],
    declaredOnly: { controlTokens: ["<response>", "</response>"] },
  },
  "command-r": {
    reasoning: [{ open: ["<|START_THINKING|>"], close: "<|END_THINKING|>" }],
    controlTokens: ["<|START_RESPONSE|>", "<|END_RESPONSE|>", "<|END_OF_TURN_TOKEN|>"],
  },
  // Nemotron Nano v2's template ends a turn with <SPECIAL_12>.
  nemotron: { reasoning: [THINK], controlTokens: ["<SPECIAL_12>"] },
  apertus: { reasoning: [{ open: ["<|inner_prefix|>"], close: "<|inner_suffix|>" }], controlTokens: ["<|assistant_end|>"] },
  // Apriel thinks in plain words: "Here are my reasoning steps:" … "[BEGIN FINAL RESPONSE]" (1.6),
  // `<thinking>` before a call (1.5); too plain for auto.
  apriel: {
    reasoning: [],
    controlTokens: ["<|end|>"],
    declaredOnly: {
      reasoning: [
        { open: ["Here are my reasoning steps:"], close: "[BEGIN FINAL RESPONSE]" },
        { open: ["<thinking>"], close: "</thinking>" },
      ],
      controlTokens: ["[END FINAL RESPONSE]"],
    },
  },
  "firefunction-v2": { reasoning: [], controlTokens: LLAMA3_END },
  longcat: { reasoning: [THINK], controlTokens: [] },
  // Gemma 4 thinks in a `thought` channel and ends its turn with <turn|>.
  gemma4: { reasoning: [{ open: ["<|channel>thought"], close: "<channel|>" }], controlTokens: ["<turn|>", "<eos>"] },
  "function-gemma": { reasoning: [], controlTokens: GEMMA_END },
  gemma3: { reasoning: [], controlTokens: GEMMA_END },
};

/**
 * The markup to clean one response of. A declared family adds `<think>` (a model served under
 * another family's format may still think in it). `auto` watches every family's unambiguous markup.
 * A reasoning close marker outside reasoning (the template opened reasoning in the prompt, or the
 * model closed twice) is removed like a control token.
 */
export function markupFor(format: ToolCallFormat | "auto"): MarkupSet {
  return format === "auto" ? AUTO_MARKUP : (DECLARED_MARKUP.get(format) ?? buildMarkupSet(format));
}

function buildMarkupSet(format: ToolCallFormat | "auto"): MarkupSet {
  const families = format === "auto" ? Object.values(FAMILY_MARKUP) : [FAMILY_MARKUP[format]];
  const reasoning = mergeReasoning([
    ...families.flatMap((family) => family.reasoning),
    ...(format === "auto" ? [] : (FAMILY_MARKUP[format].declaredOnly?.reasoning ?? [])),
    THINK,
  ]);
  const controlTokens = new Set([
    ...families.flatMap((family) => family.controlTokens),
    ...(format === "auto" ? [] : (FAMILY_MARKUP[format].declaredOnly?.controlTokens ?? [])),
    ...reasoning.map((markers) => markers.close),
  ]);
  return {
    reasoning,
    controlTokens: [...controlTokens],
    trailingTokens: [...controlTokens].filter((token) => !PARSER_MARKERS.has(token)),
  };
}

/** One entry per close marker, its open spellings and early ends merged (auto's families share `<think>`). */
function mergeReasoning(all: readonly ReasoningMarkers[]): ReasoningMarkers[] {
  const byClose = new Map<string, { open: Set<string>; endsBefore: Set<string> }>();
  for (const markers of all) {
    const merged = byClose.get(markers.close) ?? { open: new Set(), endsBefore: new Set() };
    for (const open of markers.open) merged.open.add(open);
    for (const end of markers.endsBefore ?? []) merged.endsBefore.add(end);
    byClose.set(markers.close, merged);
  }
  return [...byClose].map(([close, { open, endsBefore }]) => ({
    open: [...open],
    close,
    ...(endsBefore.size > 0 ? { endsBefore: [...endsBefore] } : {}),
  }));
}

// gpt-oss's parser reads `<|call|>` as the end of a call: such tokens are left to it.
const PARSER_MARKERS: ReadonlySet<string> = new Set(
  Object.values(FAMILIES).flatMap((family) => family.blocks.flatMap((block) => [block.start, block.end ?? ""])),
);

// Built once: what a response is cleaned of depends only on the format, never on the request.
const AUTO_MARKUP = buildMarkupSet("auto");
const DECLARED_MARKUP: ReadonlyMap<ToolCallFormat, MarkupSet> = new Map(
  (Object.keys(FAMILY_MARKUP) as ToolCallFormat[]).map((format) => [format, buildMarkupSet(format)]),
);
