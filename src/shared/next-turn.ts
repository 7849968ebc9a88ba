/** Resolves in the check phase of this turn of the event loop (setImmediate): pending I/O, a /health request's included, runs first. */
export const nextTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));
