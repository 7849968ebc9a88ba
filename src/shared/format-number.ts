let intlFormat: ((value: number) => string) | undefined;

/**
 * A count for people, `12,345`, as `Intl.NumberFormat("en-US")` writes it. An integer (every count
 * mallex prints) is grouped here: the first Intl formatter a process makes maps ICU's locale data, about
 * 5 MiB of RSS that a proxy printing only counts does without; any other number goes to one formatter
 * made on first use (toLocaleString took ~3 µs a call in the proxy).
 */
export function formatNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e21) {
    if (Object.is(value, -0)) return "-0";
    const digits = String(Math.abs(value));
    let grouped = digits.slice(0, digits.length % 3 || 3);
    for (let i = grouped.length; i < digits.length; i += 3) grouped += `,${digits.slice(i, i + 3)}`;
    return value < 0 ? `-${grouped}` : grouped;
  }
  intlFormat ??= new Intl.NumberFormat("en-US").format;
  return intlFormat(value);
}

/** A count removed, signed as the change it made: 74 removed → `−74`; a negative removal (text added) → `+20`. */
export function formatRemoved(removed: number): string {
  return removed >= 0 ? `−${formatNumber(removed)}` : `+${formatNumber(-removed)}`;
}

/** How `after` differs from `before`, as a signed percentage: `−95%` for a cut, `+61%` for a growth (never `−-61%`). */
export function formatPercentChange(before: number, after: number): string {
  const change = before === 0 ? 0 : Math.round((after / before - 1) * 100);
  return change > 0 ? `+${change}%` : `−${Math.abs(change)}%`;
}
