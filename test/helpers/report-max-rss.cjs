// Preloaded (node --require) into a CLI under test: at exit, writes the process's peak RSS (KiB) and
// how long it ran (ms) to the file MALLEX_TEST_REPORT names, for tests that bound a command's memory.
const { writeFileSync } = require("node:fs");
const started = performance.now();
process.on("exit", () => {
  const report = process.env.MALLEX_TEST_REPORT;
  if (report) writeFileSync(report, JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, ms: performance.now() - started }));
});
