import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";
import { LongestFirst } from "./test/helpers/longest-first.js";

const CORES = availableParallelism();
// In-process and CPU-bound: a file a core, and two even on 2 cores (vitest's default there is one).
const UNIT_WORKERS = Math.max(2, CORES);
// The end-to-end files wait on processes they started — Claude Code, mallex, a model server on one
// thread. On 2 cores with two files at a time, the second half of them left 10–35% of the CPU idle
// (vmstat, 5-s samples); with three, it stayed busy to the end and they took 486 s instead of 632.
const E2E_WORKERS = CORES + 1;
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
          maxWorkers: UNIT_WORKERS,
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
          maxWorkers: E2E_WORKERS,
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
