import { MallexError, type SupervisorErrorCode } from "../shared/mallex-error.js";

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
  /**
   * The message is the server's own account of something the user must fix (mallex's engine cannot
   * have its model: model-source-failure.ts): said as it is, and never retried, since a restart would
   * fail the same way.
   */
  readonly needsUser: boolean;

  constructor(code: SupervisorErrorCode, message: string, options: { details?: readonly string[]; cause?: unknown; needsUser?: boolean } = {}) {
    super(code, message, { ...options, kind: "supervisor" });
    this.name = "SupervisorError";
    this.code = code;
    this.needsUser = options.needsUser ?? false;
  }

  static override readonly isInstance = MallexError.kindCheck<SupervisorError>("supervisor");
}
