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

/** A request the translation cannot make for its profile (TranslateError's). */
export type TranslateErrorCode =
  | "E_VISION_UNSUPPORTED" // an image block for a profile without vision
  | "E_INVALID_MESSAGE"; // a message the translation cannot represent (unknown role…)

/** A request still over its profile's input budget after every cut (TrimError's). */
export type TrimErrorCode = "E_OVER_BUDGET";

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
  /** A backend could not answer (BackendError: its `failure` says how). */
  | "E_BACKEND"
  /** A backend's queue was full (BackendQueueFullError). */
  | "E_BACKEND_BUSY"
  | TranslateErrorCode
  | TrimErrorCode
  | SupervisorErrorCode;

/** Which kind of MallexError: the base's own, or one of the classes that extend it (each names its kind once). */
export type MallexErrorKind = "mallex" | "supervisor" | "backend" | "backend-queue-full" | "translate" | "trim";

/**
 * mallex's one error class: one clear sentence meant for the user (no stack), a code, and the kind of
 * error it is. The errors that say more extend it (BackendError, TranslateError, SupervisorError…),
 * each with its kind and its `isInstance` from {@link MallexError.kindCheck}, not a marker of its own.
 * Anything else reaching the CLI's edge, or the proxy's failure reply, is a bug in mallex and is
 * reported as one.
 */
export class MallexError extends Error {
  readonly [MARKER] = true;
  /** Which class of MallexError this is, by name: recognised across copies of mallex, as `instanceof` is not. */
  readonly kind: MallexErrorKind;
  readonly code: MallexErrorCode;
  /** Lines printed before the message (e.g. one per config diagnostic). */
  readonly details: readonly string[];
  readonly exitCode: number;

  constructor(
    code: MallexErrorCode,
    message: string,
    options: { details?: readonly string[]; exitCode?: number; cause?: unknown; kind?: MallexErrorKind } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "MallexError";
    this.kind = options.kind ?? "mallex";
    this.code = code;
    this.details = options.details ?? [];
    this.exitCode = options.exitCode ?? 1;
  }

  /** Any MallexError, of whichever kind: a marker check rather than instanceof, so errors from another copy of mallex are recognised. */
  static readonly isInstance: (error: unknown) => error is MallexError = (error): error is MallexError =>
    typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;

  /** The `isInstance` of a class that extends MallexError: its kind, checked the same way (a function that works unbound). */
  static kindCheck<T extends MallexError>(kind: MallexErrorKind): (error: unknown) => error is T {
    return (error): error is T => MallexError.isInstance(error) && error.kind === kind;
  }
}
