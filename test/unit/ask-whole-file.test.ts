import { describe, expect, it } from "vitest";
import {
  describeAlone,
  fileAskedFor,
  fileToCreate,
  questionAlone,
  questionAsk,
  wholeFileAsk,
  withAsk,
  withQuestionAlone,
} from "../../src/pipeline/answer-checks/ask-whole-file.js";
import { renameOf } from "../../src/pipeline/first-look/search-named-symbols.js";

/** The ask's words for a request, or undefined where none is made. */
const wholeFileAskFor = (request: { messages: AnthropicMessageParam[] }) => {
  const file = fileAskedFor(request);
  return file === undefined ? undefined : wholeFileAsk(file);
};
import type { AnthropicMessageParam } from "../../src/translate/anthropic-types.js";
import { numberedLines } from "../helpers/read-result.js";

const call = (id: string, name: string, input: Record<string, unknown>): AnthropicMessageParam => ({
  role: "assistant",
  content: [{ type: "tool_use", id, name, input }],
});
const result = (id: string, content: string): AnthropicMessageParam => ({ role: "user", content: [{ type: "tool_result", tool_use_id: id, content }] });
const task = (text: string): AnthropicMessageParam => ({
  role: "user",
  content: [
    { type: "text", text: "<system-reminder>\nAs you answer, use the context.\n</system-reminder>" },
    { type: "text", text },
  ],
});
/** One turn's Reads of several files ([id, path, text] each), their results in the order of the calls. */
const readsInOneTurn = (files: readonly [string, string, string][]): AnthropicMessageParam[] => [
  { role: "assistant", content: files.map(([id, path]) => ({ type: "tool_use" as const, id, name: "Read", input: { file_path: path } })) },
  { role: "user", content: files.map(([id, , text]) => ({ type: "tool_result" as const, tool_use_id: id, content: numberedLines(text) })) },
];
const readRoman = [call("t1", "Read", { file_path: "/repo/src/roman.py" }), result("t1", numberedLines("def to_roman(n):\n    raise NotImplementedError\n"))];
const ASK = "Now answer with the whole new roman.py, the change made, in one fenced code block.";

describe("fileAskedFor: after a file's Read, a task that asks for a change asks for the file, whole", () => {
  it("names the file just read, for a task that asks for a change; Claude Code's system messages after it left aside", () => {
    expect(wholeFileAskFor({ messages: [task("Implement `to_roman` in roman.py as its docstring says."), ...readRoman] })).toBe(ASK);
    expect(
      wholeFileAskFor({ messages: [task("`python3 -m unittest` fails. Fix the bug in roman.py."), ...readRoman, { role: "system", content: "agents: …" }] }),
    ).toBe(ASK);
    // Two files read at once: the one read last.
    const both = readsInOneTurn([
      ["a", "/repo/test_stats.py", "import stats\n"],
      ["b", "/repo/stats.py", "def mean(xs):\n    return 0\n"],
    ]);
    const statsAsk = "Now answer with the whole new stats.py, the change made, in one fenced code block.";
    const fixStats = task("`python3 -m unittest test_stats.py` fails. Fix the bug in stats.py so the tests pass. Do not edit the tests.");
    expect(wholeFileAskFor({ messages: [fixStats, ...both] })).toBe(statsAsk);
    // Claude Code may return parallel results in another order: the file the task asks to change, still.
    const reversed = [both[0]!, { ...both[1]!, content: [...(both[1]!.content as unknown[])].reverse() }] as AnthropicMessageParam[];
    expect(wholeFileAskFor({ messages: [fixStats, ...reversed] })).toBe(statsAsk);
    // The test alone just read: not the file to change.
    expect(
      wholeFileAskFor({ messages: [fixStats, call("t", "Read", { file_path: "/repo/test_stats.py" }), result("t", numberedLines("import stats\n"))] }),
    ).toBeUndefined();
  });

  it("chooses among every file read since the task: the file to change read first, its test read last (a failure followed)", () => {
    const fixStats = task("`python3 -m unittest test_stats.py` fails. Fix the bug in stats.py so the tests pass.");
    const messages = [
      fixStats,
      call("s", "Read", { file_path: "/repo/stats.py" }),
      result("s", numberedLines("def mean(xs):\n    return 0\n")),
      call("t", "Read", { file_path: "/repo/test_stats.py" }),
      result("t", numberedLines("import stats\n")),
    ];
    // Read a turn before the last, it is shown again before the ask; two turns after the task, the task is said again first.
    expect(wholeFileAskFor({ messages })).toBe(
      "`python3 -m unittest test_stats.py` fails. Fix the bug in stats.py so the tests pass.\n\n" +
        "stats.py is:\n```py\ndef mean(xs):\n    return 0\n```\nNow answer with the whole new stats.py, the change made, in one fenced code block.",
    );
    expect(wholeFileAsk(fileAskedFor({ messages })!, true)).toBe(
      "(the task restated) (stats.py shown) Now answer with the whole new stats.py, the change made, in one fenced code block.",
    );
    // Not asked again after another tool's result.
    expect(wholeFileAskFor({ messages: [...messages, call("b", "Bash", { command: "ls" }), result("b", "stats.py")] })).toBeUndefined();
  });

  it('takes a file named as the place before the verb for the file to change ("In package.json, … add …"), where none follows the verb; not one named so otherwise', () => {
    const both = readsInOneTurn([
      ["a", "/repo/package.json", '{ "version": "1.4.2" }\n'],
      ["b", "/repo/server.js", 'console.log("server");\n'],
    ]);
    const place = task('In package.json, set the version to 2.0.0 and add a "start" script that runs `node server.js`.');
    expect(wholeFileAskFor({ messages: [place, ...both] })).toBe("Now answer with the whole new package.json, the change made, in one fenced code block.");
    expect(wholeFileAskFor({ messages: [task("in the file `package.json`, add a start script."), ...both] })).toBe(
      "Now answer with the whole new package.json, the change made, in one fenced code block.",
    );
    // Where the failure shows is not what to change: the newest file the words do not name.
    const tests = readsInOneTurn([
      ["a", "/repo/stats.py", "def mean(xs):\n    return 0\n"],
      ["b", "/repo/test_stats.py", "import stats\n"],
    ]);
    expect(wholeFileAskFor({ messages: [task("test_stats.py fails, fix it."), ...tests] })).toBe(
      "Now answer with the whole new stats.py, the change made, in one fenced code block.",
    );
  });

  it("says the task again before the ask where it fell behind more than one turn of calls (a search, then the files it found); not a rename's", () => {
    const words = "Somewhere in this project the constant `MAX_RETRIES` is defined. Change its value to 5. Change nothing else.";
    const search = [call("g", "Grep", { pattern: "\\bMAX_RETRIES\\b" }), result("g", "src/config/limits.js:2:export const MAX_RETRIES = 3;")];
    const reads = readsInOneTurn([
      ["r", "/repo/src/net/retry.js", "import { MAX_RETRIES } from './limits.js';\n"],
      ["l", "/repo/src/config/limits.js", "export const TIMEOUT_MS = 10;\nexport const MAX_RETRIES = 3;\n"],
    ]);
    expect(wholeFileAskFor({ messages: [task(words), ...search, ...reads] })).toBe(
      `${words}\n\nNow answer with the whole new limits.js, the change made, in one fenced code block.`,
    );
    // Right after the task: asked plainly.
    expect(wholeFileAskFor({ messages: [task(words), ...reads] })).toBe("Now answer with the whole new limits.js, the change made, in one fenced code block.");
    const rename = task("Rename the function `getUserName` to `displayNameOf` everywhere, then run `node main.js` to check it still works.");
    const found = readsInOneTurn([["u", "/repo/lib/users.js", "export function getUserName(user) {}\n"]]);
    expect(wholeFileAskFor({ messages: [rename, call("g", "Grep", { pattern: "getUserName" }), result("g", "lib/users.js:1"), ...found] })).toBe(
      "Now answer with the whole new users.js, with `getUserName` renamed to `displayNameOf`, in one fenced code block.",
    );
  });

  it("where the task names no file to change, a file it does not name: the config behind a crash, not the app.js it runs", () => {
    const crash = task("`node app.js` crashes on start. Find out why and fix it.");
    expect(
      wholeFileAskFor({ messages: [crash, call("t", "Read", { file_path: "/repo/app.js" }), result("t", numberedLines("require('./config.json')\n"))] }),
    ).toBeUndefined();
    expect(wholeFileAskFor({ messages: [crash, call("t", "Read", { file_path: "/repo/config.json" }), result("t", numberedLines("{ port: 1 }\n"))] })).toBe(
      "Now answer with the whole new config.json, the change made, in one fenced code block.",
    );
    expect(wholeFileAskFor({ messages: [task("Change the value of MAX_RETRIES to 5."), ...readRoman] })).toBe(ASK);
    // A file inside the command a rename is checked with is no file to change: the one read that defines the name is.
    const rename = task("Rename the function `getUserName` to `displayNameOf` everywhere, then run `node main.js` to check it still works.");
    const found = readsInOneTurn([
      ["m", "/repo/main.js", "getUserName(ada);\n"],
      ["u", "/repo/lib/users.js", "export function getUserName(user) {}\n"],
    ]);
    expect(wholeFileAskFor({ messages: [rename, ...found] })).toBe(
      "Now answer with the whole new users.js, with `getUserName` renamed to `displayNameOf`, in one fenced code block.",
    );
  });

  it("asks nothing for a question, after another tool than Read, once a file was changed since the task, or before any tool ran", () => {
    expect(wholeFileAskFor({ messages: [task("How many seconds does `fetchWithRetry` in client.js wait in total?"), ...readRoman] })).toBeUndefined();
    expect(
      wholeFileAskFor({ messages: [task("Fix the crash."), call("t1", "Bash", { command: "cat roman.py" }), result("t1", numberedLines("x = 1\n"))] }),
    ).toBeUndefined();
    const edited = [task("Implement to_roman."), ...readRoman, call("t2", "Edit", { file_path: "/repo/src/roman.py" }), result("t2", "ok"), ...readRoman];
    expect(wholeFileAskFor({ messages: edited })).toBeUndefined();
    expect(wholeFileAskFor({ messages: [task("Implement to_roman.")] })).toBeUndefined();
    // A Read that failed, or of a part of the file.
    expect(
      wholeFileAskFor({
        messages: [
          task("Implement to_roman."),
          call("t1", "Read", { file_path: "/repo/x.py" }),
          { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "File does not exist.", is_error: true }] },
        ],
      }),
    ).toBeUndefined();
    expect(
      wholeFileAskFor({
        messages: [task("Implement to_roman."), call("t1", "Read", { file_path: "/repo/x.py", offset: 5 }), result("t1", numberedLines("x = 1\n"))],
      }),
    ).toBeUndefined();
  });
});

describe("fileAskedFor after a check: the request's command run again after an edit, and still failing", () => {
  const fix = task("`npm test` fails in this project. Find the bug in the source and fix it.");
  const failing = (id: string): AnthropicMessageParam[] => [
    call(id, "Bash", { command: "npm test" }),
    { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: "Exit code 1\nnot ok 1 - range(1, 3)", is_error: true }] },
  ];
  const readRange = [call("r", "Read", { file_path: "/repo/src/range.js" }), result("r", numberedLines("for (let i = a; i < b; i++) out.push(i);\n"))];
  const edit = [
    call("e", "Edit", { file_path: "/repo/src/range.js", old_string: "let i = a", new_string: "let i = a + 1" }),
    result("e", "The file has been updated."),
  ];
  const check = { checkAfterEdits: true };

  it("asks for the file last changed, as the conversation last showed it, naming the command that still fails", () => {
    const asked = fileAskedFor({ messages: [fix, ...failing("t1"), ...readRange, ...edit, ...failing("t2")] }, check)!;
    expect(asked).toEqual({
      file: { path: "/repo/src/range.js", text: "for (let i = a + 1; i < b; i++) out.push(i);\n" },
      failed: "npm test",
      shown: true,
    });
    expect(wholeFileAsk(asked)).toBe(
      "`npm test` still fails. range.js is:\n```js\nfor (let i = a + 1; i < b; i++) out.push(i);\n```\nNow answer with the whole new range.js, the change made, in one fenced code block.",
    );
    // The log names the file shown, on one line.
    expect(wholeFileAsk(asked, true)).toBe(
      "`npm test` still fails. (range.js shown) Now answer with the whole new range.js, the change made, in one fenced code block.",
    );
    // A file too long to show again is only named.
    const long = "x".repeat(7_000);
    const longEdit = [call("e", "Write", { file_path: "/repo/src/range.js", content: long }), result("e", "The file has been updated.")];
    expect(fileAskedFor({ messages: [fix, ...failing("t1"), ...readRange, ...longEdit, ...failing("t2")] }, check)).toEqual({
      file: { path: "/repo/src/range.js", text: long },
      failed: "npm test",
    });
  });

  it("asks nothing once it passes, with the lever off, for a command the task does not name, or for a file the conversation never showed", () => {
    const passed = [call("t2", "Bash", { command: "npm test" }), result("t2", "ok 1 - range(1, 3)")];
    expect(fileAskedFor({ messages: [fix, ...failing("t1"), ...readRange, ...edit, ...passed] }, check)).toBeUndefined();
    expect(fileAskedFor({ messages: [fix, ...failing("t1"), ...readRange, ...edit, ...failing("t2")] })).toBeUndefined();
    const other = [
      call("t2", "Bash", { command: "node -e 'throw 1'" }),
      { role: "user" as const, content: [{ type: "tool_result" as const, tool_use_id: "t2", content: "Exit code 1", is_error: true }] },
    ];
    expect(fileAskedFor({ messages: [fix, ...failing("t1"), ...readRange, ...edit, ...other] }, check)).toBeUndefined();
    expect(fileAskedFor({ messages: [fix, ...failing("t1"), ...edit, ...failing("t2")] }, check)).toBeUndefined();
  });
});

describe("fileAskedFor after the client refused the model's Edit: that file, whole, whatever the task's words", () => {
  // claude-md-instructions with the real 0.5B: Edits whose old_string is the parameter's name, each refused.
  const chore = task("Do the release chore for this project.");
  const CHANGELOG = "# Changelog\n\n- 1.2.3: released\n";
  const readChangelog = [call("r", "Read", { file_path: "/repo/CHANGELOG.md" }), result("r", numberedLines(CHANGELOG))];
  const refused = (id: string, name = "Edit", path = "/repo/CHANGELOG.md"): AnthropicMessageParam[] => [
    call(id, name, { file_path: path, old_string: "old_string", new_string: "- 1.2.4: released" }),
    {
      role: "user",
      content: [
        {
          type: "tool_result",
          tool_use_id: id,
          content: "<tool_use_error>String to replace not found in file.\nString: old_string</tool_use_error>",
          is_error: true,
        },
      ],
    },
  ];

  it("asks for the file the refused Edit or MultiEdit was of, saying it did not apply; the task said again once it fell behind", () => {
    expect(fileAskedFor({ messages: [chore, ...readChangelog, ...refused("e")] })).toEqual({
      file: { path: "/repo/CHANGELOG.md", text: CHANGELOG },
      refused: "Edit",
      restated: "Do the release chore for this project.",
      shown: true,
    });
    // Named by its name alone, the file is refused as one that does not exist: the file it names.
    expect(fileAskedFor({ messages: [chore, ...readChangelog, ...refused("e", "Edit", "CHANGELOG.md")] })?.file.path).toBe("/repo/CHANGELOG.md");
    expect(fileAskedFor({ messages: [chore, ...readChangelog, ...refused("e", "Edit", "./CHANGELOG.md")] })?.file.path).toBe("/repo/CHANGELOG.md");
    expect(fileAskedFor({ messages: [chore, ...readChangelog, ...refused("e", "Edit", "OTHER.md")] })).toBeUndefined();
    const asked = fileAskedFor({ messages: [chore, ...readChangelog, ...refused("e", "MultiEdit")] })!;
    expect(wholeFileAsk(asked)).toBe(
      `Do the release chore for this project.\n\nThat MultiEdit of CHANGELOG.md did not apply. CHANGELOG.md is:\n\`\`\`md\n${CHANGELOG}\`\`\`\nNow answer with the whole new CHANGELOG.md, the change made, in one fenced code block.`,
    );
    expect(wholeFileAsk(asked, true)).toBe(
      "(the task restated) That MultiEdit of CHANGELOG.md did not apply. (CHANGELOG.md shown) Now answer with the whole new CHANGELOG.md, the change made, in one fenced code block.",
    );
  });

  it("asks nothing for a file the conversation never showed, a refused Write or Bash, an Edit that applied, or a refusal before the last turn", () => {
    expect(fileAskedFor({ messages: [chore, ...refused("e")] })).toBeUndefined();
    expect(fileAskedFor({ messages: [chore, ...readChangelog, ...refused("e", "Write")] })).toBeUndefined();
    expect(fileAskedFor({ messages: [chore, ...readChangelog, ...refused("e", "Bash")] })).toBeUndefined();
    const applied = [
      call("e", "Edit", { file_path: "/repo/CHANGELOG.md", old_string: "- 1.2.3", new_string: "- 1.2.4: released\n- 1.2.3" }),
      result("e", "The file /repo/CHANGELOG.md has been updated."),
    ];
    expect(fileAskedFor({ messages: [chore, ...readChangelog, ...applied] })).toBeUndefined();
    const then = [call("g", "Grep", { pattern: "version" }), result("g", "package.json")];
    expect(fileAskedFor({ messages: [chore, ...readChangelog, ...refused("e"), ...then] })).toBeUndefined();
    // Asked once per file: the 0.5B, asked again after each refusal, made the same Edit until its time ran out.
    expect(fileAskedFor({ messages: [chore, ...readChangelog, ...refused("e"), ...refused("e2")] })).toBeUndefined();
    const readPackage = [call("p", "Read", { file_path: "/repo/package.json" }), result("p", numberedLines('{ "version": "1.2.3" }\n'))];
    expect(
      fileAskedFor({ messages: [chore, ...readChangelog, ...readPackage, ...refused("e"), ...refused("e2", "Edit", "/repo/package.json")] })?.file.path,
    ).toBe("/repo/package.json");
    // A refusal before the task is another task's.
    expect(fileAskedFor({ messages: [task("Release 1.2.4."), ...readChangelog, ...refused("e"), chore, ...readChangelog, ...refused("e2")] })).toMatchObject({
      refused: "Edit",
    });
  });
});

describe("fileAskedFor in a rename: file by file, the next one that still says the old name", () => {
  const rename = task("Rename the function `getUserName` to `displayNameOf` everywhere in this project, then run `node main.js`.");
  const reads = readsInOneTurn([
    ["m", "/repo/main.js", 'import { getUserName } from "./lib/users.js";\n'],
    ["u", "/repo/lib/users.js", "export function getUserName(user) {}\n"],
  ]);
  const written = [
    call("w", "Write", { file_path: "/repo/lib/users.js", content: "export function displayNameOf(user) {}\n" }),
    result("w", "The file has been updated."),
  ];

  it("after each change, asks for a file the conversation has shown that still says the old name; none once none does", () => {
    const renamed = { from: "getUserName", to: "displayNameOf" };
    expect(fileAskedFor({ messages: [rename, ...reads, ...written] })).toEqual({
      file: { path: "/repo/main.js", text: 'import { getUserName } from "./lib/users.js";\n' },
      rename: renamed,
      shown: true,
    });
    expect(wholeFileAsk(fileAskedFor({ messages: [rename, ...reads, ...written] })!)).toBe(
      'main.js is:\n```js\nimport { getUserName } from "./lib/users.js";\n```\nNow answer with the whole new main.js, with `getUserName` renamed to `displayNameOf`, in one fenced code block.',
    );
    const failing = [
      call("b", "Bash", { command: "node main.js" }),
      { role: "user" as const, content: [{ type: "tool_result" as const, tool_use_id: "b", content: "SyntaxError", is_error: true }] },
    ];
    expect(fileAskedFor({ messages: [rename, ...reads, ...written, ...failing] }, { checkAfterEdits: true })).toMatchObject({
      file: { path: "/repo/main.js" },
      failed: "node main.js",
      rename: renamed,
      shown: true,
    });
    const all = [
      ...written,
      call("w2", "Write", { file_path: "/repo/main.js", content: 'import { displayNameOf } from "./lib/users.js";\n' }),
      result("w2", "ok"),
    ];
    expect(fileAskedFor({ messages: [rename, ...reads, ...all] })).toBeUndefined();
    expect(renameOf("Rename `a_b` to `cD`.")).toEqual({ from: "a_b", to: "cD" });
    expect(renameOf("Implement `to_roman` in roman.py.")).toBeUndefined();
  });
});

describe("questionAsk: after the Reads that follow a question, the question again", () => {
  const QUESTION = "Which function in this project deletes files from disk? Answer with the function's name only.";
  const readCache = [call("c", "Read", { file_path: "/repo/app/cache.py" }), result("c", numberedLines("def purge_stale(entries):\n    os.remove(x)\n"))];

  it("restates the user's own words after the files", () => {
    expect(questionAsk({ messages: [task(QUESTION), ...readCache, { role: "system", content: "a note" }] })).toBe(
      `Now answer, from the files above: ${QUESTION}`,
    );
  });

  it("asks nothing for a task that asks for a change, before any Read, after another tool, once a file changed, or for a long brief", () => {
    expect(questionAsk({ messages: [task("Fix the bug in cache.py."), ...readCache] })).toBeUndefined();
    expect(questionAsk({ messages: [task(QUESTION)] })).toBeUndefined();
    expect(questionAsk({ messages: [task(QUESTION), call("b", "Bash", { command: "ls" }), result("b", "app")] })).toBeUndefined();
    const edited = [call("w", "Write", { file_path: "/repo/x.py", content: "x" }), result("w", "ok")];
    expect(questionAsk({ messages: [task(QUESTION), ...edited, ...readCache] })).toBeUndefined();
    expect(questionAsk({ messages: [task(`${QUESTION} ${"More context. ".repeat(40)}`), ...readCache] })).toBeUndefined();
  });
});

describe("questionAlone: a question after its Reads, sent alone with the files read and no tools", () => {
  const QUESTION = "Which function in this project deletes files from disk? Answer with the function's name only.";
  const reads = readsInOneTurn([
    ["m", "/repo/app/main.py", "from app.cache import purge_stale\n"],
    ["c", "/repo/app/cache.py", "def purge_stale(entries):\n    os.remove(x)\n"],
  ]);
  const glob = [call("g", "Glob", { pattern: "**/*.py" }), result("g", "/repo/app/main.py\n/repo/app/cache.py")];

  it("is the user's words and every file read, in the order read, without line numbers; Claude Code's system messages left aside", () => {
    const alone = questionAlone({ messages: [task(QUESTION), ...glob, ...reads, { role: "system", content: "a note" }] });
    expect(alone).toEqual({
      question: QUESTION,
      runs: [],
      files: [
        { path: "/repo/app/main.py", text: "from app.cache import purge_stale\n" },
        { path: "/repo/app/cache.py", text: "def purge_stale(entries):\n    os.remove(x)\n" },
      ],
    });
  });

  it("replaces the conversation with one message, the files fenced under their paths then the question, and offers no tools", () => {
    const request = {
      model: "m",
      max_tokens: 10,
      system: "You are Claude Code.",
      messages: [task(QUESTION), ...reads],
      tools: [{ name: "Read", input_schema: { type: "object" as const } }],
      tool_choice: { type: "auto" as const },
    };
    const alone = questionAlone(request)!;
    expect(withQuestionAlone(request, alone)).toEqual({
      model: "m",
      max_tokens: 10,
      system: "You are Claude Code.",
      messages: [
        {
          role: "user",
          content: [
            {
              type: "text",
              text: `/repo/app/main.py:\n\`\`\`py\nfrom app.cache import purge_stale\n\`\`\`\n\n/repo/app/cache.py:\n\`\`\`py\ndef purge_stale(entries):\n    os.remove(x)\n\`\`\`\n\n${QUESTION}`,
            },
          ],
        },
      ],
    });
    expect(request.messages).toHaveLength(3);
  });

  it("applies to no request but a question: not a task that asks for a change, nor words with no `?`, nor a question that names a command to run, nor where questionAsk would not", () => {
    expect(questionAlone({ messages: [task("Fix the bug in cache.py."), ...reads] })).toBeUndefined();
    expect(questionAlone({ messages: [task("Tell me the function that deletes files."), ...reads] })).toBeUndefined();
    expect(questionAlone({ messages: [task("What does `node main.js` print when you run it?"), ...reads] })).toBeUndefined();
    expect(questionAlone({ messages: [task(QUESTION)] })).toBeUndefined();
    expect(questionAlone({ messages: [task(QUESTION), ...glob] })).toBeUndefined();
    const edited = [call("w", "Write", { file_path: "/repo/x.py", content: "x" }), result("w", "ok")];
    expect(questionAlone({ messages: [task(QUESTION), ...edited, ...reads] })).toBeUndefined();
    // A question mark inside the words, not only at their end.
    expect(questionAlone({ messages: [task("Where is the cache purged? Name the file."), ...reads] })?.question).toBe(
      "Where is the cache purged? Name the file.",
    );
  });

  describe("a request to run a command and report, once the command has run", () => {
    const REPORT = "Run `node tools/fingerprint.js` and tell me the fingerprint it prints.";
    const ran = [call("b", "Bash", { command: "node tools/fingerprint.js" }), result("b", "53f201745635\n")];

    it("is the user's words with the command and its output, then any files read; the log names both", () => {
      const readTool = readsInOneTurn([["t", "/repo/tools/fingerprint.js", "console.log(hash)\n"]]);
      const request = {
        model: "m",
        max_tokens: 10,
        messages: [task(REPORT), ...ran, ...readTool],
        tools: [{ name: "Bash", input_schema: { type: "object" as const } }],
      };
      const alone = questionAlone(request)!;
      expect(alone).toEqual({
        question: REPORT,
        runs: [{ command: "node tools/fingerprint.js", output: "53f201745635\n" }],
        files: [{ path: "/repo/tools/fingerprint.js", text: "console.log(hash)\n" }],
      });
      expect(withQuestionAlone(request, alone).messages).toEqual([
        {
          role: "user",
          content: [
            {
              type: "text",
              text: `$ node tools/fingerprint.js\n\`\`\`\n53f201745635\n\`\`\`\n\n/repo/tools/fingerprint.js:\n\`\`\`js\nconsole.log(hash)\n\`\`\`\n\n${REPORT}`,
            },
          ],
        },
      ]);
      expect(describeAlone(alone)).toBe(
        `asked "${REPORT}" alone, after the commands run (node tools/fingerprint.js) and the files read (fingerprint.js), with no tools (tools.answer_from_files)`,
      );
      const silent = questionAlone({ messages: [task(REPORT), call("b", "Bash", { command: "node tools/fingerprint.js" }), result("b", "")] })!;
      expect(withQuestionAlone(request, silent).messages[0]!.content).toEqual([
        { type: "text", text: `$ node tools/fingerprint.js\n\`\`\`\n(no output)\n\`\`\`\n\n${REPORT}` },
      ]);
    });

    it("does not apply before the run, to a task that asks for a change, nor once anything but the runs and Reads happened", () => {
      expect(questionAlone({ messages: [task(REPORT)] })).toBeUndefined();
      expect(questionAlone({ messages: [task("Run `node tools/fingerprint.js` and fix what it prints."), ...ran] })).toBeUndefined();
      const other = [call("g", "Grep", { pattern: "hash" }), result("g", "tools/fingerprint.js")];
      expect(questionAlone({ messages: [task(REPORT), ...ran, ...other] })).toBeUndefined();
      const another = [call("x", "Bash", { command: "ls" }), result("x", "tools")];
      expect(questionAlone({ messages: [task(REPORT), ...ran, ...another] })).toBeUndefined();
      const twoCommands = "Run `node a.js` and `node b.js` and tell me what they print.";
      expect(questionAlone({ messages: [task(twoCommands), call("a", "Bash", { command: "node a.js" }), result("a", "1")] })).toBeUndefined();
    });
  });
});

describe("withAsk", () => {
  it("adds the ask as the user's words after the last message, the rest untouched", () => {
    const messages = [task("Implement to_roman."), ...readRoman];
    const request = { model: "m", max_tokens: 10, messages };
    expect(withAsk(request, ASK)).toEqual({ model: "m", max_tokens: 10, messages: [...messages, { role: "user", content: [{ type: "text", text: ASK }] }] });
    expect(request.messages).toHaveLength(3);
  });
});

describe("fileToCreate: a task that asks for a new file asks for it whole, at once", () => {
  const WRITE = "Write `wordcount.py`: it reads text from standard input and prints the lines, words and characters.";
  const system = "You are Claude Code.\n - Primary working directory: /repo\n - Platform: linux";
  const created = { path: "/repo/wordcount.py", text: "", created: true as const };

  it("is the file the task names to write, under the working directory; the ask names it, before any turn or after a look", () => {
    expect(fileToCreate({ system, messages: [task(WRITE)] })).toEqual(created);
    expect(fileToCreate({ system: [{ type: "text", text: system }], messages: [task("Create a new file tools/slug.js that exports `slugify`.")] })).toEqual({
      path: "/repo/tools/slug.js",
      text: "",
      created: true,
    });
    expect(fileAskedFor({ system, messages: [task(WRITE)] })).toEqual({ file: created });
    expect(wholeFileAsk({ file: created })).toBe("Now answer with the whole of the new file wordcount.py in one fenced code block.");
    const failedRead = [call("r", "Read", { file_path: "/repo/wordcount.py" }), result("r", "File does not exist.")];
    expect(fileAskedFor({ system, messages: [task(WRITE), ...failedRead] })).toEqual({ file: created });
  });

  it("not for a file to change, without the working directory, once it is read or any file changed", () => {
    expect(fileToCreate({ system, messages: [task("Implement `to_roman` in roman.py as its docstring says.")] })).toBeUndefined();
    expect(fileToCreate({ messages: [task(WRITE)] })).toBeUndefined();
    const read = [call("r", "Read", { file_path: "/repo/wordcount.py" }), result("r", numberedLines("print(1)\n"))];
    expect(fileToCreate({ system, messages: [task(WRITE), ...read] })).toBeUndefined();
    const written = [
      call("w", "Write", { file_path: "/repo/wordcount.py", content: "print(1)\n" }),
      result("w", "File created successfully at: /repo/wordcount.py"),
    ];
    expect(fileToCreate({ system, messages: [task(WRITE), ...written] })).toBeUndefined();
  });
});
