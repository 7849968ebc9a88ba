import type { Size } from "../../generated/config.js";
import { SIZES } from "../compile/routing-table.js";
import type { Steps } from "./run-steps.js";
import type { TrimResult } from "./trim-types.js";

/** Why a request was trimmed as a smaller size than its profile's: to fit the budget, or to leave room to talk (leavesRoomToTalk). */
export interface SmallerSize {
  size: Size;
  why: "budget" | "room";
}

/**
 * Trims with the profile's own size, then — while the result does not fit its budget, or leaves the
 * session no room to talk (`roomy`: see leavesRoomToTalk) — with each smaller size's trimming (fewer
 * tools, shorter templates): a context too small for the profile's size (a 2 K-token engine behind a
 * medium profile) still gets an answer, and a 4 K one a conversation. Fitting the budget comes first:
 * where no size is roomy, the first that fits. `smaller`: the size taken, when it is not the
 * profile's; the result is the own size's refusal when none fits. As Steps: each trim pauses between
 * its filters (see run-steps.ts).
 */
export function* trimToFit(
  trim: (size: Size) => Steps<TrimResult>,
  size: Size,
  roomy: (trimmed: TrimResult) => boolean = () => true,
): Steps<{ trimmed: TrimResult; smaller?: SmallerSize }> {
  const own = yield* trim(size);
  if (own.ok && roomy(own)) return { trimmed: own };
  let fitted: { trimmed: TrimResult; smaller?: SmallerSize } | undefined = own.ok ? { trimmed: own } : undefined;
  for (const smaller of SIZES.slice(0, SIZES.indexOf(size)).reverse()) {
    const trimmed = yield* trim(smaller);
    if (!trimmed.ok) continue;
    if (roomy(trimmed)) return { trimmed, smaller: { size: smaller, why: fitted === undefined ? "budget" : "room" } };
    fitted ??= { trimmed, smaller: { size: smaller, why: "budget" } };
  }
  return fitted ?? { trimmed: own };
}
