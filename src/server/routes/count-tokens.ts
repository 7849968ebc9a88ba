import { ofetch } from "ofetch";
import { measurePrompt, type PromptSource } from "../../router/describe-request.js";
import type { MessagesRequest } from "../../translate/anthropic-types.js";
import type { ServerContext } from "../../pipeline/server-context.js";

/**
 * POST /v1/messages/count_tokens. llama-server counts with the model's own tokenizer (it serves this
 * endpoint natively); mlx-lm.server has no tokenizer endpoint, so the count is an estimate from the
 * request's characters (see measurePrompt), which is what Claude Code uses it for: budgeting.
 */
export async function countTokens(request: MessagesRequest, ctx: ServerContext, source?: PromptSource): Promise<{ input_tokens: number }> {
  const tier = ctx.table.tiers[ctx.table.routing.defaultTier];
  const backend = tier ? ctx.backends[ctx.table.profiles[tier.profile]!.backend] : undefined;
  if (backend?.flavor === "llama-server" && backend.baseUrl && !backend.unavailable) {
    const origin = backend.baseUrl.replace(/\/v1$/, "");
    try {
      return await ofetch<{ input_tokens: number }>(`${origin}/v1/messages/count_tokens`, { method: "POST", body: request, retry: false, timeout: 5000 });
    } catch (error) {
      ctx.log(`count_tokens: ${backend.name} could not count (${(error as Error).message}); answering an estimate`);
    }
  }
  return { input_tokens: measurePrompt(request, source).tokens };
}
