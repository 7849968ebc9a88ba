import { readFileSync } from "node:fs";
const problems = [];
const version = JSON.parse(readFileSync("package.json", "utf8")).version;
if (version !== "2.3.5") problems.push(`package.json's version is ${version}, expected 2.3.5`);
const items = readFileSync("CHANGELOG.md", "utf8").split("\n").filter((line) => line.startsWith("- "));
if (items[0] !== "- 2.3.5: released") problems.push(`CHANGELOG.md's first item is ${JSON.stringify(items[0])}, expected "- 2.3.5: released"`);
if (items[1] !== "- 2.3.4: released") problems.push("CHANGELOG.md's earlier items were changed");
if (problems.length > 0) {
  console.log(problems.join("; "));
  process.exit(1);
}
console.log("ok");
