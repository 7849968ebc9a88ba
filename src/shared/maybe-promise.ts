/** A value now, or a promise of it: what a step returns when only its slow case waits (a long trim that gives the event loop turns, the classifier's call). */
export type MaybePromise<T> = T | Promise<T>;

/**
 * `next` of the value: at once when it is here, once it comes when it is a promise. The one place a
 * MaybePromise is told apart, so that the fast case costs no promise and no turn of the event loop.
 */
export function whenReady<T, U>(value: MaybePromise<T>, next: (value: T) => U): MaybePromise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}
