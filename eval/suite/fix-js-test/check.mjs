// The task's own tests, plus ones the model did not see, against the working copy's source; the test file must be unchanged.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { pathToFileURL } from "node:url";
const changed = execFileSync("git", ["diff", "--name-only", "HEAD", "--", "test"], { encoding: "utf8" }).trim();
if (changed) throw new Error(`the tests were changed: ${changed}`);
const { range } = await import(pathToFileURL(`${process.cwd()}/src/range.js`).href);
assert.deepEqual(range(1, 3), [1, 2, 3]);
assert.deepEqual(range(5, 5), [5]);
assert.deepEqual(range(3, 1), []);
assert.deepEqual(range(-2, 1), [-2, -1, 0, 1]);
execFileSync("node", ["test/range.test.js"], { stdio: "inherit" });
