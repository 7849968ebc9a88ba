/**
 * Calls written as one JSON value after a marker with no end marker of its own (Granite's
 * `<|tool_call|>[…]`, FireFunction's `functools[…]`): the value is the call, an optional closing
 * tag right after it belongs to it, and whatever follows is text.
 */
import type { ToolParseEvent } from "../types.js";
import { invalidCall, jsonCalls } from "./build-call-events.js";
import { findJsonEnd } from "./scan-json.js";

export interface JsonAfterMarker {
  /** Length of the marker at the start of `raw`. */
  readonly markerLength: number;
  /** A closing tag some models add after the value (Phi-4-mini's `<|/tool_call|>`). */
  readonly optionalEnd?: string;
  readonly notACall: string;
  /** Turns the value into calls; JSON objects or arrays of `{name, arguments}` by default. */
  readonly toCalls?: (json: string, raw: string, cutOff: boolean) => ToolParseEvent[];
}

export function readJsonAfterMarker(raw: string, syntax: JsonAfterMarker): ToolParseEvent[] {
  const toCalls = syntax.toCalls ?? ((json: string, callRaw: string, cutOff: boolean) => jsonCalls(json, callRaw, { cutOff }));
  const body = raw.slice(syntax.markerLength);
  const start = body.search(/\S/);
  const opener = start === -1 ? "" : body.charAt(start);
  if (opener !== "[" && opener !== "{") return [invalidCall(raw, syntax.notACall)];
  const end = findJsonEnd(body, start);
  if (end === -1) return toCalls(body.slice(start), raw, true);
  let callEnd = syntax.markerLength + end;
  const after = raw.slice(callEnd);
  const closing = syntax.optionalEnd === undefined ? -1 : after.indexOf(syntax.optionalEnd);
  if (closing !== -1 && after.slice(0, closing).trim() === "") callEnd += closing + (syntax.optionalEnd ?? "").length;
  const events = toCalls(body.slice(start, end), raw.slice(0, callEnd), false);
  const rest = raw.slice(callEnd);
  if (rest.trim() !== "") events.push({ type: "text", text: rest });
  return events;
}
