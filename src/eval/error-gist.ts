/**
 * Pure: what a failing program said, in one line for a report — its error line with what the error
 * says was expected (Node's and Python's assertion errors), else its last lines; never a stack's
 * frames or the source lines printed with them; at most `max` characters, cut between words.
 */
export function errorGist(output: string, max: number): string {
  const all = output.split("\n").map((line) => line.trim());
  const exit = /^(?:Error: )?Exit code \d+$/.test(all[0] ?? "") ? all.shift() : undefined;
  const lines: string[] = [];
  for (let i = 0; i < all.length; i++) {
    const line = all[i]!;
    // `file:///app.js:3` or `node:internal/…:123`: the source line printed under it goes too.
    if (/^\S+:\d+$/.test(line)) {
      i++;
      continue;
    }
    // Frames, carets, rules (unittest's ----), and a line said twice (an error a failed command re-raised).
    if (line === "" || /^at |^File "|^\^+$|^Traceback|^Node\.js v\d|^[{}]$|^[-=_]{5,}$/.test(line) || lines.includes(line)) continue;
    lines.push(line);
  }
  const error = lines.findIndex((line) => /^[\w.]*(Error|Exception)\b/.test(line));
  let picked: string[];
  if (error === -1) picked = lines.slice(-3);
  else {
    const after = lines.slice(error + 1);
    const expectation = after.filter((line) => /^(actual|expected): /.test(line)).map((line) => line.replace(/,$/, ""));
    // Node prints the error's own fields after it (`code: 'ERR_…',`, `output: [`): the words end there.
    const fields = after.findIndex((line) => /^\w+: .*[,[{]$/.test(line));
    picked = [lines[error]!, ...(expectation.length > 0 ? expectation : after.slice(0, fields === -1 ? 3 : Math.min(fields, 3)))];
  }
  return clipAtWord([exit, ...picked].filter((part) => part !== undefined).join(" ⏎ "), max);
}

function clipAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(" ");
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}
