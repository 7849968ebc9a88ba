import { measurePrompt, type PromptSource } from "../../router/describe-request.js";
import type { MessagesRequest } from "../../translate/anthropic-types.js";
import type { ServerContext } from "../../pipeline/server-context.js";
import { sendTextRequest } from "../../shared/send-text-request.js";

/** How long llama-server may take to count, its whole answer included. */
const COUNT_TIMEOUT_MS = 5000;
/** `{"input_tokens": N}` is a few dozen bytes; an answer longer than this is no count. */
const MAX_COUNT_ANSWER_BYTES = 4096;

/**
 * POST /v1/messages/count_tokens. llama-server counts with the model's own tokenizer (it serves this
 * endpoint natively); mlx-lm.server has no tokenizer endpoint, so the count is an estimate from the
 * request's characters (see measurePrompt), which is what Claude Code uses it for: budgeting. What
 * llama-server answers is taken only as `{input_tokens: a non-negative integer}`, read within 5 s
 * and 4 KiB; anything else (an error, HTML, a negative count, a stream left open) is logged and
 * answered with the estimate.
 */
export async function countTokens(
  request: MessagesRequest,
  ctx: Pick<ServerContext, "table" | "backends" | "log">,
  source?: PromptSource,
): Promise<{ input_tokens: number }> {
  const tier = ctx.table.tiers[ctx.table.routing.defaultTier];
  const backend = tier ? ctx.backends[ctx.table.profiles[tier.profile]!.backend] : undefined;
  if (backend?.flavor === "llama-server" && backend.baseUrl && !backend.unavailable) {
    const origin = backend.baseUrl.replace(/\/v1$/, "");
    try {
      return await askServer(`${origin}/v1/messages/count_tokens`, request);
    } catch (error) {
      ctx.log(`count_tokens: ${backend.name} could not count (${(error as Error).message}); answering an estimate`);
    }
  }
  return { input_tokens: measurePrompt(request, source).tokens };
}

async function askServer(url: string, request: MessagesRequest): Promise<{ input_tokens: number }> {
  const signal = AbortSignal.timeout(COUNT_TIMEOUT_MS);
  const { ok, status, text, cut } = await sendTextRequest(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
    signal,
    maxBytes: MAX_COUNT_ANSWER_BYTES,
  });
  if (!ok) throw new Error(`HTTP ${status}: ${text.slice(0, 200)}`);
  if (cut) throw new Error(`its answer is longer than ${MAX_COUNT_ANSWER_BYTES} bytes`);
  let count: unknown;
  try {
    count = (JSON.parse(text) as { input_tokens?: unknown } | null)?.input_tokens;
  } catch {
    throw new Error(`its answer is not JSON: ${text.slice(0, 200)}`);
  }
  if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0) throw new Error(`its answer holds no count of tokens: ${text.slice(0, 200)}`);
  return { input_tokens: count };
}
