#!/usr/bin/env node
import { runMain } from "../dist/src/cli/index.js";

await runMain();
