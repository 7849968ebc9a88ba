/**
 * An answer ended by mallex's own cap (the profile's max_output_tokens, below the client's
 * max_tokens) is not the client's max_tokens: reported as such, Claude Code tells the user to raise
 * CLAUDE_CODE_MAX_OUTPUT_TOKENS, which changes nothing. It ends the turn instead, with a line saying
 * where the limit is.
 */
export function outputCapNote(cap: number, profileName: string | undefined): string {
  return `\n\n[mallex: the answer was cut at ${cap} tokens, the local model's output limit (max_output_tokens${profileName ? ` of profile ${profileName}` : ""} in mallex.yaml)]`;
}

/**
 * The finish reason to map, for the stream and the whole response alike: `length` under mallex's own
 * cap becomes `stop`, after the note is added to the answer through `addText`.
 */
export function settleOutputCap<R extends string | null | undefined>(finishReason: R, cap: number | undefined, profileName: string | undefined, addText: (text: string) => void): R | "stop" {
  if (finishReason !== "length" || cap === undefined) return finishReason;
  addText(outputCapNote(cap, profileName));
  return "stop";
}
