import { MallexError } from "../mallex-error.js";

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
 * what to do, plus the server's last log lines as details. A MallexError, so the CLI prints it as a
 * user error (no stack) and the proxy answers it with that sentence.
 */
export class SupervisorError extends MallexError {
  override readonly code: SupervisorErrorCode;
  /**
   * True once the supervisor printed this sentence as its "gave up" event: a request that fails with
   * it then names the failure without repeating the sentence, so a start failure is said once.
   */
  announced = false;

  constructor(code: SupervisorErrorCode, message: string, options: { details?: readonly string[]; cause?: unknown } = {}) {
    super(code, message, options);
    this.name = "SupervisorError";
    this.code = code;
  }

  static override isInstance(error: unknown): error is SupervisorError {
    return MallexError.isInstance(error) && error.name === "SupervisorError";
  }
}
