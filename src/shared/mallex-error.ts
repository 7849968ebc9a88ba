const MARKER = Symbol.for("mallex.error");

/**
 * The model-server supervisor's codes (SupervisorError's). Declared here with every other code: the
 * base error knows the whole union, and supervisor/ imports it from here, never the other way round.
 */
export type SupervisorErrorCode =
  /** The server could not be started or never became ready. */
  | "E_SERVER_START"
  /** The server crashed or wedged more often than the restart policy allows. */
  | "E_SERVER_FAILED"
  /** stop() was called while a caller waited for the server. */
  | "E_SERVER_STOPPED"
  /** No usable Python (3.10+) to create the venv, or pip failed. */
  | "E_SERVER_INSTALL";

export type MallexErrorCode =
  | "E_CONFIG_INVALID"
  | "E_GENERATED_STALE"
  | "E_OUTPUT_UNWRITABLE"
  | "E_USAGE"
  /** The embedded engine cannot load or serve its model. */
  | "E_ENGINE"
  /** npm could not install node-llama-cpp for the embedded engine (install-engine.ts). */
  | "E_ENGINE_INSTALL"
  /** A model file cannot be found, downloaded or verified. */
  | "E_MODEL_SOURCE"
  /** Claude Code is not installed and cannot be fetched, or cannot be started. */
  | "E_CLAUDE_CODE"
  /** An eval suite (`mallex eval --suite`) that cannot be read: a task folder without a prompt or checker. */
  | "E_EVAL_SUITE"
  /** `mallex eval`'s model server did not start (the supervisor said why, in mallex.log and on the terminal). */
  | "E_EVAL_SERVER"
  | SupervisorErrorCode;

/**
 * An error meant for the user: one clear sentence, no stack. Anything else reaching the CLI's edge
 * is a bug in mallex and is reported as one.
 */
export class MallexError extends Error {
  readonly [MARKER] = true;
  readonly code: MallexErrorCode;
  /** Lines printed before the message (e.g. one per config diagnostic). */
  readonly details: readonly string[];
  readonly exitCode: number;

  constructor(code: MallexErrorCode, message: string, options: { details?: readonly string[]; exitCode?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "MallexError";
    this.code = code;
    this.details = options.details ?? [];
    this.exitCode = options.exitCode ?? 1;
  }

  /** A name check rather than instanceof, so errors from another copy of mallex are recognised. */
  static isInstance(error: unknown): error is MallexError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
