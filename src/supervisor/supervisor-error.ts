const MARKER = Symbol.for("mallex.error");

export type SupervisorErrorCode =
  /** The server could not be started or never became ready. */
  | "E_SERVER_START"
  /** The server crashed or wedged more often than the restart policy allows. */
  | "E_SERVER_FAILED"
  /** stop() was called while a caller waited for the server. */
  | "E_SERVER_STOPPED"
  /** No usable Python (3.10+) to create the venv, or pip failed. */
  | "E_SERVER_INSTALL";

/**
 * What ensureReady and the venv bootstrap reject with: one sentence that says what went wrong and
 * what to do, plus the server's last log lines as details.
 *
 * It carries MallexError's `Symbol.for("mallex.error")` marker, `details` and `exitCode`, so
 * `MallexError.isInstance` recognises it and the CLI prints it as a user error (no stack).
 */
export class SupervisorError extends Error {
  readonly [MARKER] = true;
  readonly code: SupervisorErrorCode;
  readonly details: readonly string[];
  readonly exitCode: number;

  constructor(code: SupervisorErrorCode, message: string, options: { details?: readonly string[]; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "SupervisorError";
    this.code = code;
    this.details = options.details ?? [];
    this.exitCode = 1;
  }

  static isInstance(error: unknown): error is SupervisorError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true && (error as Error).name === "SupervisorError";
  }
}
