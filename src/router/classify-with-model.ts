// Classifying a request's intent with a model: the question asked, and its answer read.
import type { OpenAIChatResponse } from "../translate/openai-types.js";
import type { ClassifierVerdict } from "./classifier-verdict.js";

/** The classifier model's answer, read: an intent id the table declares, no intent, or why neither. */
export type ClassifierAnswer = { ok: true; intent?: string } | { ok: false; problem: string };

/** Words a model uses for "none of these" (the shipped template offers `none`). */
const NO_INTENT = new Set(["none", "other", "default", "unknown", "null"]);

/**
 * Reads what the model answered, as asked (`{"intent": "<id>"}`) or as small models answer anyway:
 * the bare id, quoted, in a code fence, after `intent:`, with other casing, spaces or hyphens for
 * underscores, after a `<think>` block, or in a sentence that names exactly one id. Anything else
 * is a problem, never a guess.
 */
export function parseClassifierAnswer(answer: string, intentIds: readonly string[]): ClassifierAnswer {
  const text = answer.replace(/<think>[\s\S]*?(?:<\/think>|$)/g, "").trim();
  const named = namedInJson(text) ?? text.replace(/^[\s`"'*]*(?:json)?[\s`"'*]*(?:intent|category|answer)?\s*[:=]?[\s`"'*]*/i, "").replace(/[\s`"'*.!]+$/, "");
  const found = lookUp(named, intentIds);
  if (found !== undefined) return found;
  const mentioned = intentIds.filter((id) => new RegExp(`(?:^|[^\\w-])${escapeRegExp(id)}(?:$|[^\\w-])`, "i").test(text));
  if (mentioned.length === 1) return { ok: true, intent: mentioned[0]! };
  return { ok: false, problem: `its answer names no intent: ${preview(text)}` };
}

function namedInJson(text: string): string | undefined {
  for (const [object] of text.matchAll(/\{[^{}]*\}/g)) {
    try {
      const value = JSON.parse(object) as Record<string, unknown>;
      const key = ["intent", "category", "id"].find((name) => Object.hasOwn(value, name));
      const named = key === undefined ? undefined : value[key];
      if (typeof named === "string") return named;
      if (named === null) return "none";
    } catch {
      // not JSON: the next object, or the text as it is
    }
  }
  return undefined;
}

const normalize = (name: string): string =>
  name
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, "_");

function lookUp(name: string, intentIds: readonly string[]): ClassifierAnswer | undefined {
  const wanted = normalize(name);
  const id = intentIds.find((candidate) => normalize(candidate) === wanted);
  if (id !== undefined) return { ok: true, intent: id };
  return NO_INTENT.has(wanted) ? { ok: true } : undefined;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function preview(text: string): string {
  const line = text.replace(/\s+/g, " ");
  if (line === "") return "(empty)";
  return JSON.stringify(line.length > 40 ? `${line.slice(0, 40)}…` : line);
}

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
