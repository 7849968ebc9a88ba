import type { TierName } from "../../generated/config.js";

/**
 * What the model classifier said about a user turn, as routing takes it (selectRoute's
 * `classified`). Only asked when no rule decides; see src/pipeline/route-request.ts.
 */
export type ClassifierVerdict =
  /** The model answered: an intent id the table declares, or no intent (it said none fits). */
  | { ok: true; intent?: string }
  /** No usable answer (timeout, backend failure, an answer that names no intent): the rules' tier stands. */
  | { ok: false; problem: string };

/** Where a user turn went, kept for the rest of the turn (selectRoute's `turnRoute`). */
export interface TurnRoute {
  /** The tier it was served on. */
  tier: TierName;
  /** Why, as its route said then (e.g. "classifier intent code_edit → high"). */
  reason: string;
  /** The classifier decided it (its verdict, or its failure); false: an intent rule did. */
  byClassifier: boolean;
}
