import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
for (const file of ["lib/users.js", "lib/greet.js", "main.js"]) {
  const text = readFileSync(file, "utf8");
  assert.ok(!text.includes("getUserName"), `${file} still says getUserName`);
  assert.ok(text.includes("displayNameOf"), `${file} does not use displayNameOf`);
}
const out = execFileSync("node", ["main.js"], { encoding: "utf8" });
assert.equal(out, "Hello, Ada Lovelace!\ngrace\n");
console.log("ok");
