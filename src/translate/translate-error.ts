import type { AnthropicErrorType } from "./anthropic-types.js";

const marker = Symbol.for("mallex.translate.error");

export type TranslateErrorCode =
  | "E_VISION_UNSUPPORTED" // an image block for a profile without vision
  | "E_INVALID_MESSAGE"; // a message the translation cannot represent (unknown role…)

/**
 * A request that cannot be translated for this model profile. It is the client's mistake (or the
 * profile's limit), never a server fault, so it always maps to HTTP 400 `invalid_request_error`:
 * a 400 also stops the Anthropic SDK from retrying a request that can never succeed.
 */
export class TranslateError extends Error {
  readonly [marker] = true;
  override readonly name = "TranslateError";
  readonly status = 400;
  readonly type: AnthropicErrorType = "invalid_request_error";
  readonly code: TranslateErrorCode;
  /** Where in the request, in the Anthropic API's own dotted style (`messages.2.content.1`). */
  readonly path: string;

  constructor(code: TranslateErrorCode, message: string, path: string) {
    super(message);
    this.code = code;
    this.path = path;
  }

  /** A marker check, not `instanceof`, so it survives duplicated module instances. */
  static isInstance(value: unknown): value is TranslateError {
    return typeof value === "object" && value !== null && marker in value;
  }
}
