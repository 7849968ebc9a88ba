/**
 * What a model server says about itself, read from the server (never declared): the context one
 * request can hold, how many requests it generates at once, and the model it serves. Each field is
 * absent when the server does not say.
 */
export interface ServerFacts {
  /** Tokens one request can hold, prompt and answer together, as the server holds them (per slot). */
  contextWindow?: number;
  /** Requests the server generates at once (slots, sequences, its batch). */
  parallel?: number;
  /** The model it serves, as it names it. */
  model?: string;
  /** Where the facts were read, for log lines, doctor and status: e.g. "llama-server GET /props". */
  source: string;
  /**
   * The server settles its context later (Ollama, when it loads the model): contextWindow is only
   * the most it can hold, which lowers a larger declared window but sets none, and the facts are
   * read again at the next request.
   */
  provisional?: true;
}

/** The server to ask: a backend's flavor, its OpenAI base URL (…/v1) and headers, and the model a profile names. */
export interface FactsTarget {
  flavor: string;
  baseUrl: string;
  headers: Readonly<Record<string, string>>;
  model?: string;
}

/**
 * Reads a server's facts the way its flavor publishes them; undefined when it publishes none or
 * cannot be reached (the declared values then stand). Never throws.
 */
export type DiscoverServerFacts = (target: FactsTarget, signal?: AbortSignal) => Promise<ServerFacts | undefined>;
