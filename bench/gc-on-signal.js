// Preloaded (`node --expose-gc --import ./bench/gc-on-signal.js …`) into the proxies bench/overhead.js
// starts, so it can ask for a full garbage collection (SIGUSR2) before reading their idle RSS.
process.on("SIGUSR2", () => globalThis.gc?.());
