import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Each test file in its own process with its own modules (vitest's defaults, relied on: helpers read
    // fixtures in hooks, and no module state may carry from one file into another).
    pool: "forks",
    isolate: true,
    // CLI and end-to-end tests start real processes; a 2-core CI machine needs the headroom.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Says when ../shared (captures, models) or the model kit is missing and its suites are skipped: the
    // shared folder at the start of the run and again after its summary, where a long run is read.
    globalSetup: ["test/helpers/shared-dir.ts", "test/helpers/model-kit.ts"],
  },
});
