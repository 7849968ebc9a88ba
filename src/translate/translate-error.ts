import { MallexError, type TranslateErrorCode } from "../shared/mallex-error.js";
import type { AnthropicErrorType } from "./anthropic-types.js";

export type { TranslateErrorCode } from "../shared/mallex-error.js";

/**
 * A request that cannot be translated for this model profile. It is the client's mistake (or the
 * profile's limit), never a server fault, so it always maps to HTTP 400 `invalid_request_error`:
 * a 400 also stops the Anthropic SDK from retrying a request that can never succeed.
 */
export class TranslateError extends MallexError {
  override readonly name = "TranslateError";
  readonly status = 400;
  readonly type: AnthropicErrorType = "invalid_request_error";
  declare readonly code: TranslateErrorCode;
  /** Where in the request, in the Anthropic API's own dotted style (`messages.2.content.1`). */
  readonly path: string;

  constructor(code: TranslateErrorCode, message: string, path: string) {
    super(code, message, { kind: "translate" });
    this.path = path;
  }

  static override readonly isInstance = MallexError.kindCheck<TranslateError>("translate");
}
