/**
 * A code block that is a shell command writing a file, read for what it writes. Asked for the new
 * hello.txt whole, in a code block, the real Qwen2.5-Coder-1.5B answered 2 times in 16 with
 * `echo "Hello from mallex" > hello.txt`, and that command became the file's content. A block that
 * writes the very file it should be the content of is a command, not the content: where the text it
 * writes is in the block as it stands (echo of quoted or plain words, a here-document), that text is
 * the content; where only running it would tell (a variable, an escape, another command), it is no
 * content at all. Pure.
 */

/** What a block writes to the file: its text, or why only running it would tell. */
export type ShellFileWrite = { content: string } | { unreadable: string };

/**
 * What `block` writes to `path`, where the block is a shell command that writes that file (by
 * `>`/`>>` or tee, named by its path or a path relative to where it lies); undefined where it writes
 * no such file.
 */
export function shellFileWrite(block: string, path: string): ShellFileWrite | undefined {
  const lines = block.split("\n").map((line) => line.replace(/^\s*\$\s+/, ""));
  const commands = lines.filter((line) => line.trim() !== "");
  if (commands.length === 0 || !writesFile(lines, path)) return undefined;
  return hereDocument(lines, path) ?? echoes(commands, path) ?? { unreadable: `it is a shell command that writes ${baseName(path)}` };
}

/**
 * Whether a line redirects into the file, or tees to it, as a shell writes it: the `>` after a space
 * or a quote (so `<li>notes.md</li>` in an HTML file is no redirect), the path followed by the line's end or a
 * space, `;`, `&` or `|`.
 */
function writesFile(lines: readonly string[], path: string): boolean {
  return lines.some((line) => {
    for (const [, target] of line.matchAll(/(?:^|[\s"'])(?:\d?>>?|tee(?:\s+-a)?\s)\s*([^\s;&|]+)(?=$|[\s;&|])/g)) if (names(target!, path)) return true;
    return false;
  });
}

/** `cat > FILE <<EOF` (or `cat <<EOF > FILE`), its lines, the delimiter, nothing after it. */
function hereDocument(lines: readonly string[], path: string): ShellFileWrite | undefined {
  const start = lines.findIndex((line) => line.trim() !== "");
  // The file named before the marker or after it, once.
  const open = /^\s*cat\s+(?:>\s*(\S+)\s+)?<<(-?)\s*(['"]?)(\w+)\3(?:\s*>\s*(\S+))?\s*$/.exec(lines[start] ?? "");
  if (open === null) return undefined;
  const [, before, dash, quote, word = "", after] = open;
  const target = before ?? after;
  if (target === undefined || (before !== undefined && after !== undefined) || !names(target, path)) return undefined;
  // <<- takes the tabs that open each line off, the delimiter's included.
  const body = lines.slice(start + 1).map((line) => (dash === "-" ? line.replace(/^\t+/, "") : line));
  const end = body.indexOf(word);
  if (end < 0 || body.slice(end + 1).some((line) => line.trim() !== "")) return { unreadable: `its here-document is not closed by ${word} alone` };
  const text = body.slice(0, end);
  if (quote === "" && text.some((line) => /[$`\\]/.test(line))) return { unreadable: "its here-document expands what only running it would tell" };
  return { content: text.map((line) => `${line}\n`).join("") };
}

/** One or more `echo WORDS > FILE` (then `>> FILE`), each the file's next line, `>` starting it again. */
function echoes(commands: readonly string[], path: string): ShellFileWrite | undefined {
  let content = "";
  for (const command of commands) {
    const echo = /^\s*echo\s+(?<flag>-n\s+)?(?<words>.*?)\s*(?<into>>>?)\s*(?<target>\S+)\s*;?\s*$/.exec(command);
    if (echo?.groups === undefined || !names(echo.groups.target!, path)) return undefined;
    const words = literalWords(echo.groups.words!);
    if (words === undefined) return { unreadable: "its echo writes what only running it would tell" };
    const line = `${words.join(" ")}${echo.groups.flag === undefined ? "\n" : ""}`;
    content = echo.groups.into === ">" ? line : content + line;
  }
  return { content };
}

/**
 * The words a shell would pass on, where the text is only words as written: quoted in '…', in "…"
 * without `$`, a backquote, `\` or `!`, or bare characters no shell gives a meaning to; undefined
 * otherwise, and for an echo option (`-e`: escapes).
 */
function literalWords(text: string): string[] | undefined {
  const words: string[] = [];
  const part = /\s*(?:'([^']*)'|"([^"$`\\!]*)"|([\w.,:;?@%+=/~^-]+))/y;
  let word: string | undefined;
  let at = 0;
  while (at < text.length) {
    part.lastIndex = at;
    const match = part.exec(text);
    if (match === null) return text.slice(at).trim() === "" ? close() : undefined;
    if (/^\s/.test(match[0]) && word !== undefined) {
      words.push(word);
      word = undefined;
    }
    word = (word ?? "") + (match[1] ?? match[2] ?? match[3]!);
    at = part.lastIndex;
  }
  return close();
  function close(): string[] | undefined {
    if (word !== undefined) words.push(word);
    return words[0]?.startsWith("-") === true ? undefined : words;
  }
}

/** Whether a shell's path (quoted or not, relative or not) names the file. */
function names(target: string, path: string): boolean {
  const unquoted = target.replace(/^(['"])(.*)\1$/, "$2").replace(/^\.\//, "");
  return unquoted !== "" && (unquoted === path || path.endsWith(`/${unquoted}`));
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
