import { timingSafeEqual } from "node:crypto";

/** Accepts the local token as `x-api-key` or `authorization: Bearer` (Claude Code sends either). */
export function isAuthorized(headers: Headers, token: string | undefined): boolean {
  if (!token) return true;
  const bearer = headers.get("authorization")?.replace(/^Bearer\s+/i, "");
  return [headers.get("x-api-key"), bearer].some((presented) => presented != null && safeEqual(presented, token));
}

/** Addresses only this machine can reach (a token is optional there). */
export function isLoopbackHost(host: string): boolean {
  return /^(127\.\d+\.\d+\.\d+|localhost|::1)$/.test(host);
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
