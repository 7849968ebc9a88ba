import { readFileSync } from "node:fs";
const problems = [];
const version = JSON.parse(readFileSync("package.json", "utf8")).version;
if (version !== "2.3.5") problems.push(`package.json's version is ${version}, expected 2.3.5`);
const items = readFileSync("CHANGELOG.md", "utf8").split("\n").filter((line) => line.startsWith("- "));
const earlier = ["- 2.3.4: released", "- 2.3.3: released"];
const added = items.slice(0, -earlier.length);
// Each claim is about what the file holds: an untouched changelog lacks the new item, and only that.
if (items.length < earlier.length || items.slice(-earlier.length).join("\n") !== earlier.join("\n")) problems.push(`CHANGELOG.md's earlier items were changed: ${JSON.stringify(items)}, expected ${JSON.stringify(["- 2.3.5: released", ...earlier])}`);
else if (added.length === 0) problems.push('CHANGELOG.md has no new item: expected "- 2.3.5: released" first');
else if (added.length > 1 || added[0] !== "- 2.3.5: released") problems.push(`CHANGELOG.md's new items are ${JSON.stringify(added)}, expected ["- 2.3.5: released"]`);
if (problems.length > 0) {
  console.log(problems.join("; "));
  process.exit(1);
}
console.log("ok");
