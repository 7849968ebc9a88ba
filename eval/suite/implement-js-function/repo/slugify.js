/**
 * A URL slug for a title: lower case, every run of characters other than a-z and 0-9 becomes one
 * "-", and no "-" at either end.
 *
 *   slugify("Hello, World!")      → "hello-world"
 *   slugify("  Node 20 -- LTS ")  → "node-20-lts"
 */
export function slugify(title) {
  throw new Error("not implemented");
}
