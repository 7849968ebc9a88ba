import { clipText } from "../shared/retention-limits.js";
import type { OpenAIErrorPayload } from "./openai-types.js";

/** Longest part of a model server's own error text mallex passes on: a sentence or a short trace, never a body's worth. */
export const REPORTED_ERROR_MAX_CHARS = 2000;

/**
 * The sentence for an error a model server reported in place of an answer (`{"error": …}`, as a
 * whole body or in a stream): its message, or the error as JSON when it has none, clipped so that a
 * server answering megabytes of "error" gives the client a message, not the megabytes.
 */
export function describeReportedError(error: OpenAIErrorPayload | string): string {
  const reported = typeof error === "string" ? error : (error.message ?? JSON.stringify(error));
  return `The model server reported an error: ${clipText(String(reported), REPORTED_ERROR_MAX_CHARS)}`;
}
