import { defineConfig } from "vitest/config";
import { LongestFirst } from "./test/helpers/longest-first.js";

// Two files at a time even on 2 cores (vitest's default there is one): most of the suite waits on
// processes it started — Claude Code, mallex, a model server on one thread — and leaves a core idle.
// Three end-to-end files at a time took as long or longer in CI's runs (2026-11-29: the whole suite
// 998 and 1,046 s against 998 s), the cores busier and so tests beside each other slower.
const WORKERS = 2;
// Real processes on a 2-core machine need the headroom, and so does a unit test beside them.
const TIMEOUTS = { testTimeout: 30_000, hookTimeout: 30_000 };
// Real models on every core (mlx, the engine with --threads 2): beside another file each took 1.5–3×
// as long, so they run last, one at a time.
const REAL_MODELS = [
  "test/e2e-real-models.test.ts",
  "test/e2e-real-mlx-server.test.ts",
  "test/real-mlx-server.test.ts",
  "test/real-mlx-distributed.test.ts",
  "test/model-kit.test.ts",
  "test/eval-real-coder.test.ts",
];

export default defineConfig({
  test: {
    // Says when ../shared (captures, models) or the model kit is missing and its suites are skipped: the
    // shared folder at the start of the run and again after its summary, where a long run is read.
    globalSetup: ["test/helpers/shared-dir.ts", "test/helpers/model-kit.ts"],
    sequence: { sequencer: LongestFirst },
    // The projects run one after the other, in their groupOrder.
    projects: [
      {
        // Pure functions and in-process servers: one module graph shared by the files of a thread
        // (nothing may carry between files: the code holds no module state).
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          pool: "threads",
          isolate: false,
          maxWorkers: WORKERS,
          ...TIMEOUTS,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // The CLI and end-to-end suites: each file in its own process with its own modules (helpers
        // read fixtures in hooks).
        test: {
          name: "e2e",
          include: ["test/**/*.test.ts"],
          exclude: ["test/unit/**", ...REAL_MODELS],
          pool: "forks",
          isolate: true,
          maxWorkers: WORKERS,
          ...TIMEOUTS,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: { name: "real-models", include: REAL_MODELS, pool: "forks", isolate: true, maxWorkers: 1, ...TIMEOUTS, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
