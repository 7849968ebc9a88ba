/**
 * The plainest family shape: JSON (one call object or a list of them) between a start and an end
 * tag, as Hermes, Apriel and Nemotron write it. An unterminated block is still read at the end of
 * the output, since models often stop right after the JSON.
 */
import type { ToolParseEvent } from "../types.js";
import { jsonCalls } from "./build-call-events.js";
import type { FamilySpec } from "./family-spec.js";
import type { CallBlock, ScannedBlock } from "./marker-scanner.js";
import { endsInsideJsonString } from "./scan-json.js";
import { JSON_OR_FENCED_HEAD, opensAsJson } from "./strip-json-fence.js";

/** A block of JSON: an end marker written inside a JSON string does not end it. */
export const jsonBlock = (start: string, end: string): CallBlock => ({
  start,
  end,
  acceptsEnd: (body) => !endsInsideJsonString(body),
  head: JSON_OR_FENCED_HEAD,
});

export const parseJsonBlock = ({ body, raw, terminated }: ScannedBlock): ToolParseEvent[] => jsonCalls(body, raw, { cutOff: !terminated });

/** The spec of a family whose only block is JSON between `start` and `end`. */
export const jsonBlockSpec = (start: string, end: string): FamilySpec => ({
  blocks: [jsonBlock(start, end)],
  parse: parseJsonBlock,
  callShaped: (_block, body) => opensAsJson(body),
});
