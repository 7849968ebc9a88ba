// Preloaded (node --expose-gc --require) into a process under test that has an IPC channel: asked
// "memory-after-gc", it runs V8's full garbage collection and answers with what its JavaScript still
// holds then, so a test reads what the process retains, not how much garbage V8 has let pile up. (Its
// RSS right after the collection would not do: V8 hands the freed pages back from a background thread
// some time later, later still on a loaded machine.) The channel is unref'd: it never keeps the
// process alive.
process.on("message", (message) => {
  if (message !== "memory-after-gc") return;
  globalThis.gc();
  const { heapUsed, external } = process.memoryUsage();
  process.send({ heapUsed, external });
});
process.channel?.unref();
