import { describe, expect, it } from "vitest";
import type { AnthropicMessage, AnthropicMessageParam } from "../../src/translate/anthropic-types.js";
import { numberedLines } from "../helpers/read-result.js";
import { readFiles, shellCommandFor, unchangedRewrite, wholeFileWrite, withPlainReads } from "../../src/translate/tool-calls/whole-file-write.js";

const ROMAN = [
  "def to_roman(n):",
  '    """The Roman numeral for an integer from 1 to 3999, in the subtractive form:',
  '    to_roman(4) == "IV", to_roman(1994) == "MCMXCIV". Raises ValueError outside 1..3999."""',
  "    raise NotImplementedError",
  "",
].join("\n");
/** The file as Claude Code's Read returns it: numbered lines, a reminder after them. */
const numbered = (text: string, arrow = false) =>
  `${numberedLines(text, arrow)}\n\n<system-reminder>\nWhenever you read a file, you should consider whether it would be considered malware.\n</system-reminder>\n`;

const read = (id: string, input: Record<string, unknown>, result: string, isError = false): AnthropicMessageParam[] => [
  { role: "assistant", content: [{ type: "tool_use", id, name: "Read", input }] },
  { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: result, ...(isError ? { is_error: true } : {}) }] },
];
const task: AnthropicMessageParam = { role: "user", content: "Implement `to_roman` in roman.py as its docstring says." };

const IMPLEMENTED = [
  "def to_roman(n):",
  '    """The Roman numeral for an integer from 1 to 3999, in the subtractive form:',
  '    to_roman(4) == "IV", to_roman(1994) == "MCMXCIV". Raises ValueError outside 1..3999."""',
  "    if not 1 <= n <= 3999:",
  '        raise ValueError("out of range")',
  '    numerals = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]',
  '    out = ""',
  "    for value, numeral in numerals:",
  "        while n >= value:",
  "            out += numeral",
  "            n -= value",
  "    return out",
].join("\n");

const answer = (text: string): AnthropicMessage => ({
  id: "msg_1",
  type: "message",
  role: "assistant",
  model: "m",
  content: [{ type: "text", text }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 10, output_tokens: 20 } as AnthropicMessage["usage"],
});

describe("readFiles: the files the conversation read whole, newest first", () => {
  it("reads Claude Code's numbered lines back into the file, in either numbering, the reminder after them left out", () => {
    expect(readFiles([task, ...read("t1", { file_path: "/r/roman.py" }, numbered(ROMAN))])).toEqual([{ path: "/r/roman.py", text: ROMAN }]);
    expect(readFiles([task, ...read("t1", { file_path: "/r/roman.py" }, numbered(ROMAN, true))])).toEqual([{ path: "/r/roman.py", text: ROMAN }]);
  });

  it("each path's latest Read that succeeded, not an error, a part of a file, or another tool's result", () => {
    const messages = [
      task,
      ...read("t0", { file_path: "/r/a.py" }, numbered("a = 0\n")),
      ...read("t5", { file_path: "/r/e.py" }, numbered("e = 5\n")),
      ...read("t1", { file_path: "/r/a.py" }, numbered("a = 1\n")),
      ...read("t2", { file_path: "/r/b.py" }, "File does not exist.", true),
      ...read("t3", { file_path: "/r/c.py", offset: 10 }, numbered("c = 3\n")),
      { role: "assistant", content: [{ type: "tool_use", id: "t4", name: "Bash", input: { command: "cat d.py" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t4", content: numbered("d = 4\n") }] },
    ] satisfies AnthropicMessageParam[];
    expect(readFiles(messages)).toEqual([
      { path: "/r/a.py", text: "a = 1\n" },
      { path: "/r/e.py", text: "e = 5\n" },
    ]);
    expect(readFiles([task])).toEqual([]);
  });

  it("follows the conversation's own Writes and Edits: the file as it last showed it, newest first; an Edit it cannot follow forgets the file", () => {
    const call = (id: string, name: string, input: Record<string, unknown>, outcome = "ok", isError = false): AnthropicMessageParam[] => [
      { role: "assistant", content: [{ type: "tool_use", id, name, input }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: outcome, ...(isError ? { is_error: true } : {}) }] },
    ];
    const messages = [
      task,
      ...read("t1", { file_path: "/r/a.py" }, numbered("a = 1\nb = 1\n")),
      ...read("t2", { file_path: "/r/z.py" }, numbered("z = 1\n")),
      ...call("t3", "Edit", { file_path: "/r/a.py", old_string: "= 1", new_string: "= 2", replace_all: true }),
      ...call("t4", "Write", { file_path: "/r/new.py", content: "n = 1\n" }),
      ...call("t5", "MultiEdit", {
        file_path: "/r/new.py",
        edits: [
          { old_string: "n", new_string: "m" },
          { old_string: "1", new_string: "$&" },
        ],
      }),
      // Failed calls change nothing; Claude Code's note for a file unchanged since its Read is not the file.
      ...call("t6", "Write", { file_path: "/r/a.py", content: "broken" }, "File has not been read yet.", true),
      ...read("t7", { file_path: "/r/new.py" }, "File unchanged since last read."),
    ] satisfies AnthropicMessageParam[];
    expect(readFiles(messages)).toEqual([
      { path: "/r/new.py", text: "m = $&\n" },
      { path: "/r/a.py", text: "a = 2\nb = 2\n" },
      { path: "/r/z.py", text: "z = 1\n" },
    ]);
    // One turn's Reads, their results back in another order: newest is the call made last.
    const both: AnthropicMessageParam[] = [
      {
        role: "assistant",
        content: [
          { type: "tool_use", id: "p", name: "Read", input: { file_path: "/r/p.py" } },
          { type: "tool_use", id: "q", name: "Read", input: { file_path: "/r/q.py" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "q", content: numbered("q = 1\n") },
          { type: "tool_result", tool_use_id: "p", content: numbered("p = 1\n") },
        ],
      },
    ];
    expect(readFiles([task, ...both]).map((file) => file.path)).toEqual(["/r/q.py", "/r/p.py"]);
    const lost = [...messages, ...call("t8", "Edit", { file_path: "/r/z.py", old_string: "not there", new_string: "x" })];
    expect(readFiles(lost).map((file) => file.path)).toEqual(["/r/new.py", "/r/a.py"]);
  });
});

describe("wholeFileWrite: the file rewritten in a code block becomes its Write", () => {
  const file = [{ path: "/r/roman.py", text: ROMAN }];

  it("a file to create: any one block of code is its content, never one that rewrites a file read; a Write's arguments in a block too", () => {
    const created = { path: "/r/wordcount.py", text: "", created: true as const };
    const script = "import sys\ntext = sys.stdin.read()\nprint(text.count('\\n'), len(text.split()), len(text))";
    expect(wholeFileWrite(answer(`\`\`\`python\n${script}\n\`\`\``), [created], "t")!.content).toEqual([
      { type: "tool_use", id: "t", name: "Write", input: { file_path: "/r/wordcount.py", content: `${script}\n` } },
    ]);
    // The real 1.5B's own answer to such a task: the Write's arguments in a ```json block.
    const args = JSON.stringify({ name: "Write", arguments: { file_path: "/r/wordcount.py", content: script } });
    expect(wholeFileWrite(answer(`\`\`\`json\n${args}\n\`\`\``), [created], "t")!.content.at(-1)).toMatchObject({ input: { file_path: "/r/wordcount.py" } });
    // Beside a file read, a block that rewrites it is that file's; a data block, an empty one or one naming another file is no content.
    expect(wholeFileWrite(answer(`\`\`\`python\n${IMPLEMENTED}\n\`\`\``), [...file, created], "t")!.content.at(-1)).toMatchObject({
      input: { file_path: "/r/roman.py" },
    });
    const other = JSON.stringify({ name: "Write", arguments: { file_path: "/r/other.py", content: script } });
    for (const text of ['```json\n{"lines": 1}\n```', "```python\n\n```", `\`\`\`json\n${other}\n\`\`\``])
      expect(wholeFileWrite(answer(text), [created], "t")).toBeUndefined();
  });

  it("a file to create whose block is a shell command writing it: what the command writes is the content, or no Write", () => {
    const created = { path: "/r/hello.txt", text: "", created: true as const };
    expect(wholeFileWrite(answer('```bash\necho "Hello from mallex" > hello.txt\n```'), [created], "t")!.content).toEqual([
      { type: "tool_use", id: "t", name: "Write", input: { file_path: "/r/hello.txt", content: "Hello from mallex\n" } },
    ]);
    expect(wholeFileWrite(answer("```sh\ncat > hello.txt <<'EOF'\nHello\nfrom mallex\nEOF\n```"), [created], "t")!.content.at(-1)).toMatchObject({
      input: { content: "Hello\nfrom mallex\n" },
    });
    const unreadable = answer('```bash\necho "Hello from $USER" > hello.txt\n```');
    expect(wholeFileWrite(unreadable, [created], "t")).toBeUndefined();
    expect(shellCommandFor(unreadable, created.path)).toEqual({ unreadable: "its echo writes what only running it would tell" });
    // A shell script to create may write other files.
    const script = { path: "/r/build.sh", text: "", created: true as const };
    expect(wholeFileWrite(answer('```bash\necho "built" > out.txt\n```'), [script], "t")!.content.at(-1)).toMatchObject({
      input: { file_path: "/r/build.sh", content: 'echo "built" > out.txt\n' },
    });
    expect(shellCommandFor(answer("```python\nprint(1)\n```"), created.path)).toBeUndefined();
  });

  it("a file read, rewritten as a here-document that writes it: the document is the content, compared as the file; unchanged, it is no Write", () => {
    const heredoc = (text: string) => answer(`\`\`\`bash\ncat > roman.py <<'EOF'\n${text}EOF\n\`\`\``);
    expect(wholeFileWrite(heredoc(`${IMPLEMENTED}\n`), file, "t")!.content.at(-1)).toMatchObject({
      input: { file_path: "/r/roman.py", content: `${IMPLEMENTED}\n` },
    });
    expect(wholeFileWrite(heredoc(ROMAN), file, "t")).toBeUndefined();
    expect(unchangedRewrite(heredoc(ROMAN), file[0]!)).toBe(true);
  });

  it("the real 1.5B's answer: words kept before the call, the block the file's content", () => {
    const written = wholeFileWrite(
      answer(`To implement \`to_roman\`, you can use:\n\n\`\`\`python\n${IMPLEMENTED}\n\`\`\`\n\nIt raises ValueError outside the range.`),
      file,
      "toolu_1",
    );
    expect(written?.stop_reason).toBe("tool_use");
    expect(written?.content).toEqual([
      { type: "text", text: "To implement `to_roman`, you can use:\n\n\n\nIt raises ValueError outside the range." },
      { type: "tool_use", id: "toolu_1", name: "Write", input: { file_path: "/r/roman.py", content: `${IMPLEMENTED}\n` } },
    ]);
    // An unlabelled fence is code too; an answer of the block alone has no text block.
    expect(wholeFileWrite(answer(`\`\`\`\n${IMPLEMENTED}\n\`\`\``), file, "toolu_2")?.content).toEqual([
      { type: "tool_use", id: "toolu_2", name: "Write", input: { file_path: "/r/roman.py", content: `${IMPLEMENTED}\n` } },
    ]);
  });

  it("of the files read, the one the block keeps the most of: the code, not the test read after it; the newest on a tie", () => {
    const test = { path: "/r/test_roman.py", text: 'from roman import to_roman\n\ndef test_four():\n    assert to_roman(4) == "IV"\n' };
    const block = `\`\`\`python\n${IMPLEMENTED}\n\`\`\``;
    const call = (files: { path: string; text: string }[]) => wholeFileWrite(answer(block), files, "t")?.content.at(-1);
    expect(call([test, ...file])).toMatchObject({ name: "Write", input: { file_path: "/r/roman.py" } });
    const copy = { path: "/r/copy/roman.py", text: ROMAN };
    expect(call([copy, ...file])).toMatchObject({ input: { file_path: "/r/copy/roman.py" } });
    // The block is one file read, unchanged (beside another it keeps half of): no edit.
    expect(
      wholeFileWrite(answer(`\`\`\`python\n${ROMAN}\`\`\``), [{ path: "/r/half.py", text: `${ROMAN}x = 1\ny = 2\nz = 3\n` }, ...file], "t"),
    ).toBeUndefined();
  });

  it("takes a rewrite that moves the docstring's quotes onto lines of their own (the real 1.5B, implementing the stub), and a doc comment's markers, not a test of the same function", () => {
    const reflowed = [
      "def to_roman(n):",
      '    """',
      "    The Roman numeral for an integer from 1 to 3999, in the subtractive form:",
      '    to_roman(4) == "IV", to_roman(1994) == "MCMXCIV". Raises ValueError outside 1..3999.',
      '    """',
      "    if not 1 <= n <= 3999:",
      '        raise ValueError("Input must be between 1 and 3999")',
      '    numerals = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]',
      '    result = ""',
      "    for value, numeral in numerals:",
      "        while n >= value:",
      "            result += numeral",
      "            n -= value",
      "    return result",
    ].join("\n");
    expect(wholeFileWrite(answer(`\`\`\`python\n${reflowed}\n\`\`\``), file, "t")?.content).toEqual([
      { type: "tool_use", id: "t", name: "Write", input: { file_path: "/r/roman.py", content: `${reflowed}\n` } },
    ]);
    // A one-line doc comment written as a block: its text kept, the markers on lines of their own.
    const js = {
      path: "/r/slug.js",
      text: '/** The slug of a title: lower case, words joined by one dash. */\nexport const slug = (title) => { throw new Error("todo"); };\n',
    };
    const jsBlock =
      '```js\n/**\n * The slug of a title: lower case, words joined by one dash.\n */\nexport const slug = (title) =>\n  title.toLowerCase().split(/\\W+/).filter(Boolean).join("-");\n```';
    expect(wholeFileWrite(answer(jsBlock), [js], "t")?.content.at(-1)).toMatchObject({ name: "Write", input: { file_path: "/r/slug.js" } });
    // A test of the same function keeps none of its lines.
    const test = '```python\nfrom roman import to_roman\n\ndef test_roman():\n    assert to_roman(4) == "IV"\n    assert to_roman(1994) == "MCMXCIV"\n```';
    expect(wholeFileWrite(answer(test), file, "t")).toBeUndefined();
  });

  it("leaves alone a snippet of the file, a file of its own, the file unchanged, data, two blocks, an unclosed block, and an answer with a call", () => {
    const snippet = "```python\n    if not 1 <= n <= 3999:\n        raise ValueError('no')\n```";
    const other = "```python\nimport sys\nprint(sys.argv)\n```";
    const same = `\`\`\`python\n${ROMAN}\`\`\``;
    const json = `\`\`\`json\n${IMPLEMENTED}\n\`\`\``;
    const two = `\`\`\`python\n${IMPLEMENTED}\n\`\`\`\nand\n\`\`\`python\n${IMPLEMENTED}\n\`\`\``;
    const cut = `\`\`\`python\n${IMPLEMENTED}`;
    for (const text of [snippet, other, same, json, two, cut, "It is done."]) expect(wholeFileWrite(answer(text), file, "t"), text).toBeUndefined();
    const withCall: AnthropicMessage = { ...answer(`\`\`\`python\n${IMPLEMENTED}\n\`\`\``), stop_reason: "tool_use" };
    withCall.content.push({ type: "tool_use", id: "x", name: "Bash", input: { command: "ls" } });
    expect(wholeFileWrite(withCall, file, "t")).toBeUndefined();
  });

  it("takes a ```json block for a JSON file read (asked for config.json, the 1.5B labels it so), never for another file", () => {
    const config = { path: "/r/config.json", text: '{\n  "name": "inventory",\n  "port": 8080,\n}' };
    const fixed = '```json\n{\n  "name": "inventory",\n  "port": 8080\n}\n```';
    expect(wholeFileWrite(answer(fixed), [config, ...file], "t")!.content).toEqual([
      { type: "tool_use", id: "t", name: "Write", input: { file_path: "/r/config.json", content: '{\n  "name": "inventory",\n  "port": 8080\n}\n' } },
    ]);
    expect(wholeFileWrite(answer(`\`\`\`json\n${IMPLEMENTED}\n\`\`\``), [config, ...file], "t")).toBeUndefined();
  });
});

describe("wholeFileWrite of a Write's arguments with no call around them", () => {
  const limits = {
    path: "/r/src/config/limits.js",
    text: "// Limits of the network layer.\nexport const TIMEOUT_MS = 10_000;\nexport const MAX_RETRIES = 3;\nexport const MAX_REDIRECTS = 10;\n",
  };
  const changed = "export const TIMEOUT_MS = 10_000;\nexport const MAX_RETRIES = 5;\nexport const MAX_REDIRECTS = 10;\n";
  const write = (text: string) => ({ type: "tool_use", id: "t", name: "Write", input: { file_path: limits.path, content: text } });

  it("is the Write of the file their `content` rewrites: the real 1.5B's ```json {\"content\": …} for limits.js, or a call's arguments named for no tool", () => {
    const real = `\`\`\`json\n${JSON.stringify({ content: changed }, null, 2)}\n\`\`\``;
    expect(wholeFileWrite(answer(real), [limits, { path: "/r/roman.py", text: ROMAN }], "t")!.content).toEqual([write(changed)]);
    const nested = `\`\`\`json\n${JSON.stringify({ name: "save", arguments: { file_path: limits.path, content: changed } })}\n\`\`\``;
    expect(wholeFileWrite(answer(nested), [limits], "t")!.content).toEqual([write(changed)]);
  });

  it("is no Write where the path they name is not the file rewritten, the content is the file unchanged, or the JSON does not parse", () => {
    const elsewhere = `\`\`\`json\n${JSON.stringify({ file_path: "/r/other.js", content: changed })}\n\`\`\``;
    expect(wholeFileWrite(answer(elsewhere), [limits], "t")).toBeUndefined();
    const same = answer(`\`\`\`json\n${JSON.stringify({ content: limits.text })}\n\`\`\``);
    expect(wholeFileWrite(same, [limits], "t")).toBeUndefined();
    expect(unchangedRewrite(same, limits)).toBe(true);
    expect(wholeFileWrite(answer(`\`\`\`json\n{"content": "export const MAX_RETRIES = 5;\n\`\`\``), [limits], "t")).toBeUndefined();
  });

  it("a JSON file with a `content` key of its own is still read as itself", () => {
    const post = { path: "/r/post.json", text: '{\n  "title": "Hello",\n  "content": "Draft",\n  "tags": []\n}' };
    const edited = '{\n  "title": "Hello",\n  "content": "Final",\n  "tags": []\n}';
    expect(wholeFileWrite(answer(`\`\`\`json\n${edited}\n\`\`\``), [post], "t")!.content).toEqual([
      { type: "tool_use", id: "t", name: "Write", input: { file_path: post.path, content: `${edited}\n` } },
    ]);
  });
});

describe("wholeFileWrite asked for a rename: the new name read as the old where the lines kept are counted", () => {
  const greet = {
    path: "/r/lib/greet.js",
    text: 'import { getUserName } from "./users.js";\n\nexport const greet = (user) => `Hello, ${getUserName(user)}!`;\n',
  };
  const renamed = { from: "getUserName", to: "displayNameOf" };
  // The real 1.5B's answer, asked for greet.js with the rename named: both of its lines are new.
  const block = '```js\nimport { displayNameOf } from "./users.js";\n\nexport const greet = (user) => `Hello, ${displayNameOf(user)}!`;\n```';

  it("is greet.js's Write, where without the rename none of its lines is kept", () => {
    expect(wholeFileWrite(answer(block), [greet], "t")).toBeUndefined();
    expect(wholeFileWrite(answer(block), [greet], "t", renamed)!.content).toEqual([
      { type: "tool_use", id: "t", name: "Write", input: { file_path: "/r/lib/greet.js", content: block.slice(6, -3) } },
    ]);
  });

  it("is no Write where the block is another file (users.js renamed), greet.js unchanged, or the name inside a longer one", () => {
    const users = "```js\nexport function displayNameOf(user) {\n  return user.nickname;\n}\n```";
    expect(wholeFileWrite(answer(users), [greet], "t", renamed)).toBeUndefined();
    expect(wholeFileWrite(answer(`\`\`\`js\n${greet.text}\`\`\``), [greet], "t", renamed)).toBeUndefined();
    const longer = block.replaceAll("displayNameOf", "displayNameOfUser");
    expect(wholeFileWrite(answer(longer), [greet], "t", renamed)).toBeUndefined();
  });
});

describe("withPlainReads: a whole file's Read result as the file's lines, without Claude Code's numbers", () => {
  it("strips the numbers of a whole file's Read, keeps the reminder after them, and leaves other results as they are", () => {
    const messages: AnthropicMessageParam[] = [
      task,
      ...read("t1", { file_path: "/r/roman.py" }, numbered(ROMAN)),
      ...read("t2", { file_path: "/r/a.py", offset: 3 }, numbered("a = 1\n")),
      ...read("t3", { file_path: "/r/b.py" }, "File does not exist.", true),
      { role: "assistant", content: [{ type: "tool_use", id: "t4", name: "Bash", input: { command: "cat -n d.py" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t4", content: [{ type: "text", text: numbered("d = 4\n") }] }] },
      ...read("t5", { file_path: "/r/e.py" }, [{ type: "text", text: numbered("e = 5\n", true) }] as never),
    ];
    const plain = withPlainReads(messages);
    const contentOf = (at: number) => (plain[at]!.content as Array<{ content: unknown }>)[0]!.content;
    expect(contentOf(2)).toBe(
      `${ROMAN}\n\n<system-reminder>\nWhenever you read a file, you should consider whether it would be considered malware.\n</system-reminder>\n`,
    );
    for (const at of [4, 6, 8]) expect(plain[at]).toEqual(messages[at]);
    expect(contentOf(10)).toEqual([{ type: "text", text: expect.stringMatching(/^e = 5\n\n\n<system-reminder>/) }]);
    expect(plain[0]).toBe(task);
  });
});
