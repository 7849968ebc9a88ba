#!/usr/bin/env node
import module from "node:module";

// Node ≥ 22.1 keeps compiled code between runs (in the OS temp folder): every command starts faster.
module.enableCompileCache?.();

const { runMain } = await import("../dist/cli/main.js");
await runMain();
