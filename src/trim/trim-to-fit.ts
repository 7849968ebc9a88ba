import type { Size } from "../../generated/config.js";
import { SIZES } from "../compile/routing-table.js";
import type { Steps } from "./run-steps.js";
import type { TrimResult } from "./trim-types.js";

/**
 * Trims with the profile's own size, then — while the result does not fit its budget — with each
 * smaller size's trimming (fewer tools, shorter templates): a context too small for the profile's size
 * (a 2 K-token engine behind a medium profile) still gets an answer. `smaller`: the size that fitted,
 * when it is not the profile's; the result is the own size's refusal when none fits. As Steps: each
 * trim pauses between its filters (see run-steps.ts).
 */
export function* trimToFit(trim: (size: Size) => Steps<TrimResult>, size: Size): Steps<{ trimmed: TrimResult; smaller?: Size }> {
  const own = yield* trim(size);
  if (own.ok) return { trimmed: own };
  for (const smaller of SIZES.slice(0, SIZES.indexOf(size)).reverse()) {
    const trimmed = yield* trim(smaller);
    if (trimmed.ok) return { trimmed, smaller };
  }
  return { trimmed: own };
}
