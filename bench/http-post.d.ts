/** Types of bench/http-post.js (plain JavaScript, run by `node bench/*.js` without a build), for its tests. */
import type { Agent } from "node:http";

export interface KeepAliveAgent extends Agent {
  /** How long a free socket has been idle, in ms; undefined for a socket the agent never freed. */
  idleMs(socket: unknown): number | undefined;
}

export function createKeepAliveAgent(options: { maxSockets: number }): KeepAliveAgent;

export interface TimedPost {
  ttfb: number;
  ttft: number;
  total: number;
  streaming: number;
  body: Buffer;
  /** Sent again on a new connection: its server closed the idle keep-alive connection it was written on. */
  resent: boolean;
}

export function post(
  agent: KeepAliveAgent | false,
  url: string,
  body: Buffer,
  headers: Record<string, string>,
  protocol: "anthropic" | "openai",
): Promise<TimedPost>;
