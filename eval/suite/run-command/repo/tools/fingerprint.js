// A fingerprint of this project's sources: the first 12 hex digits of a sha256 over each file's name and content.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
const hash = createHash("sha256");
for (const file of readdirSync("src").sort()) hash.update(file).update(readFileSync(`src/${file}`));
console.log(`fingerprint: ${hash.digest("hex").slice(0, 12)}`);
