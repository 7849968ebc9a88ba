import { MallexError, type TrimErrorCode } from "../shared/mallex-error.js";
import type { AnthropicErrorType } from "../translate/anthropic-types.js";

export type { TrimErrorCode } from "../shared/mallex-error.js";

/**
 * A request that cannot be made to fit the profile. HTTP 400 `invalid_request_error` whose message
 * starts like the Anthropic API's own ("prompt is too long: N tokens > M maximum"): Claude Code
 * recognises that wording, shows "Prompt is too long" and offers /compact, and a 400 is not retried.
 */
export class TrimError extends MallexError {
  override readonly name = "TrimError";
  readonly status = 400;
  readonly type: AnthropicErrorType = "invalid_request_error";
  declare readonly code: TrimErrorCode;
  readonly profileName: string;
  readonly budgetTokens: number;
  readonly estimatedTokens: number;

  constructor(code: TrimErrorCode, message: string, fields: { profileName: string; budgetTokens: number; estimatedTokens: number }) {
    super(code, message, { kind: "trim" });
    this.profileName = fields.profileName;
    this.budgetTokens = fields.budgetTokens;
    this.estimatedTokens = fields.estimatedTokens;
  }

  static override readonly isInstance = MallexError.kindCheck<TrimError>("trim");
}
