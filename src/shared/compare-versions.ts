/**
 * -1, 0 or 1 as dotted version `a` is older than, the same as or newer than `b`, number by number
 * (0.30.10 > 0.30.6, 2.1.330 > 2.1.197); a part's suffix such as `.dev1`'s is ignored.
 */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split(".").map((p) => Number.parseInt(p, 10) || 0);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}
