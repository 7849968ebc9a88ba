/**
 * Functionary v3.1 (Llama 3.1 based): `<function=NAME>{…JSON arguments…}</function>`, one tag per call.
 * The opening tag is Qwen3-Coder's bare form; the JSON body is what tells the two apart in auto mode.
 */
import { invalidCall, jsonArgumentsCall } from "./internal/build-call-events.js";
import { bodyStartsWith } from "./internal/family-spec.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock, ScannedBlock } from "./internal/marker-scanner.js";
import { endsInsideJsonString } from "./internal/scan-json.js";
import { SPACE } from "./internal/match-head.js";
import { FUNCTION_NAME } from "./qwen3-coder.js";
import type { ToolCallTextParser, ToolParseEvent } from "./types.js";

const HEAD = /^([^>\n{}]*)>/;

const FUNCTION: CallBlock = {
  start: "<function=",
  end: "</function>",
  acceptsEnd: (body) => !endsInsideJsonString(body.replace(HEAD, "")),
  head: [[FUNCTION_NAME, ">", SPACE, "{"]],
};

function parseFunctionary({ body, raw, terminated }: ScannedBlock): ToolParseEvent[] {
  const head = HEAD.exec(body);
  if (head === null) return [invalidCall(raw, terminated ? "the tool call's name is not closed by >" : "the tool call is cut off")];
  return [jsonArgumentsCall(head[1] ?? "", body.slice(head[0].length), raw, { cutOff: !terminated })];
}

export const functionaryV31Spec: FamilySpec = {
  blocks: [FUNCTION],
  parse: parseFunctionary,
  callShaped: bodyStartsWith(/^[^>\n{}<]*>\s*\{/),
};

export function createFunctionaryV31Parser(): ToolCallTextParser {
  return createMarkerScanner(functionaryV31Spec);
}
