import type { ModelFiles, ModelPlace } from "../../supervisor/memory/model-sizes.js";
import type { FactsTarget, ServerFacts } from "../server-facts.js";
import type { AskJson } from "./ask-json.js";

/** What a facts reader may touch: the server (JSON requests) and, for mlx-lm, the model's files on this machine. */
export interface FactsIo {
  ask: AskJson;
  files: ModelFiles;
  place: ModelPlace;
}

/** One flavor's way of reading its server's facts. */
export type FactsReader = (target: FactsTarget, io: FactsIo) => Promise<ServerFacts | undefined>;

/** The facts, or undefined when they say nothing (a source alone is no fact). */
export function someFacts(facts: ServerFacts): ServerFacts | undefined {
  if (facts.contextWindow === undefined) delete facts.contextWindow;
  if (facts.parallel === undefined) delete facts.parallel;
  if (facts.model === undefined) delete facts.model;
  return facts.contextWindow === undefined && facts.parallel === undefined && facts.model === undefined ? undefined : facts;
}

/** A server's root (its own routes beside the OpenAI ones): the base URL without its trailing /v1. */
export function serverRoot(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "");
}

/** An array field of a JSON answer, or [] when the answer has none. */
export function listOf(answer: unknown, key: string): Record<string, unknown>[] {
  const list = (answer as Record<string, unknown> | null | undefined)?.[key];
  return Array.isArray(list) ? list.filter((entry): entry is Record<string, unknown> => entry !== null && typeof entry === "object") : [];
}
