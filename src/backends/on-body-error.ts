/**
 * A body stream passed through as it is read (nothing read ahead), whose read failure goes to
 * `onError` instead: to replace the error with a clearer one, or to end the stream another way.
 * Cancelling it cancels the body.
 */
export function onBodyError(
  body: ReadableStream<Uint8Array>,
  onError: (error: unknown, controller: ReadableStreamDefaultController<Uint8Array>) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (error) {
          onError(error, controller);
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}
