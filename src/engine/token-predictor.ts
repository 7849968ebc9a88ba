import type { LlamaContext, LlamaModel, TokenPredictor } from "node-llama-cpp";
import type { NodeLlamaCpp } from "./install/import-engine.js";

/**
 * How the engine guesses tokens ahead for the model to check in one batch (speculative decoding):
 * `lookup` finds the last tokens written in the prompt and proposes what followed them there (a file
 * rewritten with one change copies most of its input); `draft` lets a smaller model of the same
 * tokenizer write ahead. Greedy output is the same either way: a guess the model disagrees with is
 * dropped.
 */
export type Speculation = { kind: "lookup" } | { kind: "draft"; model: LlamaModel; context: LlamaContext };

/** One predictor per sequence: each keeps its own state (and the draft its own sequence). */
export function createTokenPredictor(nodeLlamaCpp: NodeLlamaCpp, speculation: Speculation): TokenPredictor {
  if (speculation.kind === "lookup") return new nodeLlamaCpp.InputLookupTokenPredictor({ patternLength: { min: 2 }, predictionLength: { max: 12 } });
  return new nodeLlamaCpp.DraftSequenceTokenPredictor(speculation.context.getSequence(), { maxTokens: 8 });
}
