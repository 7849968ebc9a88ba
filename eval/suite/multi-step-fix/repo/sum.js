/** The sum of `key` over the items. */
export function sumOf(items, key) {
  return items.reduce((total, item) => total + item[key], 0);
}
