/** Types for walk-request.js (plain JavaScript, run by node directly). */

export interface RequestWalk {
  /** Files the walk enters, the start's included. */
  files: number;
  /** Functions read (each once). */
  functions: number;
  /** Moves into a file still open further up the walk, or into a higher folder of the layout. */
  climbs: number;
  /** Moves into a file the walk had entered and left. */
  returns: number;
  /** How many times the walk entered each file. */
  entries: Map<string, number>;
  /** The walk, one move a line, indented by depth. */
  lines: string[];
}

export const MESSAGES_ROUTE: string;

/**
 * The three walks from `start` (`<file>#<function>`, default the /v1/messages route) in the tree at `root`: following the context itself,
 * also the parts of it read off it, and also every value made from it (the request parsed with its validator, its text, what a call given it returns).
 */
export function walkRequest(options: {
  root: string;
  start?: string;
}): Record<"hands on the context itself" | "or a part of it" | "or a value made from it", RequestWalk>;
