/**
 * Pure: the change from `before` to `after` as a unified diff (`diff -u`, `git diff`: what the page
 * shows before a change is written), `context` unchanged lines around each hunk. "" when they are
 * the same. Lines are compared whole; the lines both texts begin and end with are set aside first, so
 * a change of a few lines in a long file costs only the lines between its first and last change.
 */
export function unifiedDiff(before: string, after: string, labels: { from: string; to: string }, context = 3): string {
  if (before === after) return "";
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = diffLines(a, b);
  const hunks = groupHunks(ops, context);
  const lines = [`--- ${labels.from}`, `+++ ${labels.to}`];
  for (const hunk of hunks) {
    const oldCount = hunk.filter((op) => op.kind !== "+").length;
    const newCount = hunk.filter((op) => op.kind !== "-").length;
    const oldStart = hunk[0]!.a + (oldCount === 0 ? 0 : 1);
    const newStart = hunk[0]!.b + (newCount === 0 ? 0 : 1);
    lines.push(`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@`);
    for (const op of hunk) {
      const line = op.kind === "+" ? b[op.b]! : a[op.a]!;
      lines.push(`${op.kind}${line.text}`);
      if (!line.newline) lines.push("\\ No newline at end of file");
    }
  }
  return `${lines.join("\n")}\n`;
}

interface Line {
  text: string;
  newline: boolean;
}

/** One line of the diff: kept (" "), removed ("-") or added ("+"), with its index in each text (the next one's, for the side it is not in). */
interface Op {
  kind: " " | "-" | "+";
  a: number;
  b: number;
}

/** The longest common subsequence is found by a table of this many cells at most; past it, the middle is one change. */
const MAX_CELLS = 4_000_000;

function splitLines(text: string): Line[] {
  if (text === "") return [];
  const parts = text.split("\n");
  const last = parts.pop()!;
  const lines = parts.map((part) => ({ text: part, newline: true }));
  if (last !== "") lines.push({ text: last, newline: false });
  return lines;
}

const same = (x: Line, y: Line) => x.text === y.text && x.newline === y.newline;

function diffLines(a: Line[], b: Line[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && same(a[head]!, b[head]!)) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && same(a[a.length - 1 - tail]!, b[b.length - 1 - tail]!)) tail++;
  const ops: Op[] = [];
  for (let i = 0; i < head; i++) ops.push({ kind: " ", a: i, b: i });
  ops.push(...middle(a, b, head, a.length - tail, head, b.length - tail));
  for (let i = tail; i > 0; i--) ops.push({ kind: " ", a: a.length - i, b: b.length - i });
  return ops;
}

/** a[a0..a1) against b[b0..b1) by the longest common subsequence (a table of suffix lengths). */
function middle(a: Line[], b: Line[], a0: number, a1: number, b0: number, b1: number): Op[] {
  const n = a1 - a0;
  const m = b1 - b0;
  const ops: Op[] = [];
  if ((n + 1) * (m + 1) > MAX_CELLS) {
    for (let i = a0; i < a1; i++) ops.push({ kind: "-", a: i, b: b0 });
    for (let j = b0; j < b1; j++) ops.push({ kind: "+", a: a1, b: j });
    return ops;
  }
  const width = m + 1;
  const table = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * width + j] = same(a[a0 + i]!, b[b0 + j]!)
        ? table[(i + 1) * width + j + 1]! + 1
        : Math.max(table[(i + 1) * width + j]!, table[i * width + j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && same(a[a0 + i]!, b[b0 + j]!)) {
      ops.push({ kind: " ", a: a0 + i++, b: b0 + j++ });
    } else if (i < n && (j === m || table[(i + 1) * width + j]! >= table[i * width + j + 1]!)) {
      // A line removed before one added, as diff -u writes a changed line.
      ops.push({ kind: "-", a: a0 + i++, b: b0 + j });
    } else {
      ops.push({ kind: "+", a: a0 + i, b: b0 + j++ });
    }
  }
  return ops;
}

/** The changes, each with up to `context` kept lines around it; changes closer than twice that share a hunk. */
function groupHunks(ops: Op[], context: number): Op[][] {
  const hunks: Op[][] = [];
  let current: { from: number; to: number } | undefined;
  const spans: Array<{ from: number; to: number }> = [];
  ops.forEach((op, index) => {
    if (op.kind === " ") return;
    const from = Math.max(0, index - context);
    const to = Math.min(ops.length, index + context + 1);
    if (current !== undefined && from <= current.to) current.to = to;
    else spans.push((current = { from, to }));
  });
  for (const span of spans) hunks.push(ops.slice(span.from, span.to));
  return hunks;
}

function range(start: number, count: number): string {
  return count === 1 ? `${start}` : `${start},${count}`;
}
