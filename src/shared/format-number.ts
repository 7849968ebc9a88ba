/** A count for people, `12,345`: one formatter for every message (toLocaleString took ~3 µs a call in the proxy). */
export const formatNumber = new Intl.NumberFormat("en-US").format;

/** A count removed, signed as the change it made: 74 removed → `−74`; a negative removal (text added) → `+20`. */
export function formatRemoved(removed: number): string {
  return removed >= 0 ? `−${formatNumber(removed)}` : `+${formatNumber(-removed)}`;
}

/** How `after` differs from `before`, as a signed percentage: `−95%` for a cut, `+61%` for a growth (never `−-61%`). */
export function formatPercentChange(before: number, after: number): string {
  const change = before === 0 ? 0 : Math.round((after / before - 1) * 100);
  return change > 0 ? `+${change}%` : `−${Math.abs(change)}%`;
}
