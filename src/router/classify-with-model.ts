import type { OpenAIChatResponse } from "../translate/openai-types.js";
import type { ClassifierVerdict } from "./classifier-verdict.js";
import { parseClassifierAnswer } from "./parse-classifier-answer.js";

/** How one consultation of the classifier ended: `cached` made no call; every other outcome is one call. */
export type ClassifierOutcome = "cached" | "ok" | "invalid" | "timeout" | "error" | "cancelled";

export interface ClassifierCall {
  outcome: Exclude<ClassifierOutcome, "cached">;
  verdict: ClassifierVerdict;
  /** What went wrong, in full, for the log (the verdict's problem is short: it goes into x-mallex-route). */
  detail?: string;
}

export interface ClassifyOptions {
  /** The upstream body (buildClassifierBody). */
  body: string;
  /** The intent ids an answer may name. */
  intentIds: readonly string[];
  /** classifier.timeout_ms: the whole call, a wait for the backend's queue or its start included. */
  timeoutMs: number;
  /** The client's: a client that goes away ends the call. */
  signal: AbortSignal;
  /** Sends the body to the classifier profile's backend and reads its whole answer; ends when `signal` aborts. */
  complete(body: string, signal: AbortSignal): Promise<OpenAIChatResponse>;
}

/**
 * Asks the classifier model once and reads its answer. Never throws and never takes longer than
 * `timeoutMs`: a timeout, a failed call or an answer that names no intent is a verdict that says
 * so, and routing keeps the rules' tier (the request never fails because of the classifier).
 */
export async function classifyWithModel(options: ClassifyOptions): Promise<ClassifierCall> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = AbortSignal.any([options.signal, timeout]);
  const failed = (outcome: ClassifierCall["outcome"], problem: string, detail?: string): ClassifierCall => ({
    outcome,
    verdict: { ok: false, problem },
    ...(detail === undefined ? {} : { detail }),
  });
  let completion: OpenAIChatResponse;
  try {
    const call = options.complete(options.body, signal);
    // The bound holds even for a call that would not end when its signal aborts.
    const ended = new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
    call.catch(() => undefined);
    ended.catch(() => undefined);
    completion = await Promise.race([call, ended]);
  } catch (error) {
    if (timeout.aborted)
      return failed("timeout", `timed out after ${options.timeoutMs} ms`, `no answer within classifier.timeout_ms (${options.timeoutMs} ms)`);
    if (options.signal.aborted) return failed("cancelled", "the client went away");
    return failed("error", "the call failed", error instanceof Error ? error.message : String(error));
  }
  const content = completion.choices?.[0]?.message?.content;
  const answer = parseClassifierAnswer(typeof content === "string" ? content : "", options.intentIds);
  if (!answer.ok)
    return failed(
      "invalid",
      answer.problem,
      `the model's answer names no intent (${options.intentIds.join(", ")} or none): ${JSON.stringify(content ?? null).slice(0, 200)}`,
    );
  return { outcome: "ok", verdict: answer };
}
