import type { ErrorResponseOptions } from "./error-response.js";

/**
 * A request mallex does not answer, as a value: the HTTP status, the sentence, and the error
 * envelope's options. A step returns one for what the request earned (a bad body, no route, over
 * every budget, a forced call the model never made); describeFailure makes one of whatever was
 * thrown. Either way handleMessages turns it into the client's error, once.
 */
export interface Refusal {
  readonly refused: true;
  readonly status: number;
  readonly message: string;
  readonly options: Omit<ErrorResponseOptions, "requestId">;
}

export function refusal(status: number, message: string, options: Omit<ErrorResponseOptions, "requestId"> = {}): Refusal {
  return { refused: true, status, message, options };
}

export function isRefusal(value: object): value is Refusal {
  return (value as Partial<Refusal>).refused === true;
}
