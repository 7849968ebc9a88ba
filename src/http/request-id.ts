import { randomBytes } from "node:crypto";

const BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

export interface IdGenerator {
  /**
   * A request id shaped like the API's (`req_011C…`, base58): what mallex puts in the `request-id`
   * header, the error body's `request_id` and the request log line, so one id ties the three together.
   */
  requestId(): string;
  /** A message or tool-use id: `msg_…`, `toolu_…` and 24 hex digits. */
  id(prefix: string): string;
}

/**
 * Ids from a pool of random bytes drawn 4 KiB at a time (as crypto.randomUUID pools its entropy):
 * one call into the system's random source per ~100 requests instead of two per request.
 */
export function createIdGenerator(poolBytes = 4096): IdGenerator {
  let pool = randomBytes(poolBytes);
  let offset = 0;
  const take = (count: number): Buffer => {
    if (offset + count > pool.length) {
      pool = randomBytes(poolBytes);
      offset = 0;
    }
    offset += count;
    return pool.subarray(offset - count, offset);
  };
  return {
    requestId() {
      let id = "req_011C";
      for (const byte of take(20)) id += BASE58[byte % BASE58.length];
      return id;
    },
    id: (prefix) => `${prefix}_${take(12).toString("hex")}`,
  };
}
