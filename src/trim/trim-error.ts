import type { AnthropicErrorType } from "../translate/anthropic-types.js";

const marker = Symbol.for("mallex.trim.error");

export type TrimErrorCode = "E_OVER_BUDGET"; // still over the profile's input budget after every cut

/**
 * A request that cannot be made to fit the profile. HTTP 400 `invalid_request_error` whose message
 * starts like the Anthropic API's own ("prompt is too long: N tokens > M maximum"): Claude Code
 * recognises that wording, shows "Prompt is too long" and offers /compact, and a 400 is not retried.
 */
export class TrimError extends Error {
  readonly [marker] = true;
  override readonly name = "TrimError";
  readonly status = 400;
  readonly type: AnthropicErrorType = "invalid_request_error";
  readonly code: TrimErrorCode;
  readonly profileName: string;
  readonly budgetTokens: number;
  readonly estimatedTokens: number;

  constructor(code: TrimErrorCode, message: string, fields: { profileName: string; budgetTokens: number; estimatedTokens: number }) {
    super(message);
    this.code = code;
    this.profileName = fields.profileName;
    this.budgetTokens = fields.budgetTokens;
    this.estimatedTokens = fields.estimatedTokens;
  }

  /** A marker check, not `instanceof`, so it survives duplicated module instances. */
  static isInstance(value: unknown): value is TrimError {
    return typeof value === "object" && value !== null && marker in value;
  }
}
