import { randomBytes } from "node:crypto";

const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/**
 * A request id shaped like the API's (`req_011C…`, base58): what mallex puts in the `request-id`
 * header, the error body's `request_id` and the request log line, so one id ties the three together.
 */
export function generateRequestId(): string {
  const bytes = randomBytes(20);
  let id = "req_011C";
  for (const byte of bytes) id += BASE58[byte % BASE58.length];
  return id;
}
