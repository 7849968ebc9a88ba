import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
const { slugify } = await import(pathToFileURL(`${process.cwd()}/slugify.js`).href);
assert.equal(slugify("Hello, World!"), "hello-world");
assert.equal(slugify("  Node 20 -- LTS "), "node-20-lts");
assert.equal(slugify("ALL CAPS"), "all-caps");
assert.equal(slugify("a_b.c"), "a-b-c");
assert.equal(slugify("---"), "");
console.log("ok");
