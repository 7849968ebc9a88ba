import { describe, expect, it } from "vitest";
import type { AnthropicCustomTool, AnthropicMessageParam, MessagesRequest } from "../../src/translate/anthropic-types.js";
import { describeFirstLook, firstLook, firstLookAnswer } from "../../src/pipeline/first-look/first-look.js";
import { foundFiles, symbolSearch } from "../../src/pipeline/first-look/search-named-symbols.js";
import { namedFiles } from "../../src/pipeline/first-look/read-named-files.js";
import { namedCommands } from "../../src/pipeline/first-look/run-named-commands.js";
import { MAX_CHECKS } from "../../src/pipeline/first-look/check-after-edits.js";
import { loadedFiles, outputFiles } from "../../src/pipeline/first-look/follow-failures.js";
import { numberedLines } from "../helpers/read-result.js";
import { MAX_SMALL_PROJECT, PROJECT_FILES } from "../../src/pipeline/first-look/read-small-projects.js";

const tool = (name: string): AnthropicCustomTool => ({ name, input_schema: { type: "object" } });
/** One turn: the model's call and its result. */
const turn = (id: string, name: string, input: object, outcome: string, isError = false): AnthropicMessageParam[] => [
  { role: "assistant", content: [{ type: "tool_use", id, name, input }] },
  { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: outcome, ...(isError ? { is_error: true } : {}) }] },
];

describe("namedCommands: the commands a user's words ask to run", () => {
  it.each([
    ["Run `node tools/fingerprint.js` and tell me the fingerprint it prints.", ["node tools/fingerprint.js"]],
    ["`npm test` fails in this project. Find the bug in the source and fix it. Do not change the tests.", ["npm test"]],
    ["`node app.js` crashes on start. Find out why and fix it.", ["node app.js"]],
    ["`python3 -m unittest test_stats.py` fails. Fix the bug in stats.py so the tests pass.", ["python3 -m unittest test_stats.py"]],
    ["Rename `getUserName` to `displayNameOf` everywhere, then run `node main.js` to check it still works.", ["node main.js"]],
    ["`node report.js` should print the total, but it is broken. Make it work.", ["node report.js"]],
    ["Please run `./build.sh`, then `make test`, then `cargo test`.", ["./build.sh", "make test"]],
    ["Run `npm test`. Then run `npm test` again.", ["npm test"]],
  ])("%s → %j", (words, commands) => {
    expect(namedCommands(words)).toEqual(commands);
  });

  it.each([
    // A quoted identifier or file is no command; nor a program outside the runners (rm).
    "Implement `slugify` in slugify.js as its doc comment describes.",
    "Run the tests in `test_stats.py`.",
    "Run `rm -rf build` first.",
    // Asked about, not to run.
    "How do I configure `npm publish` for a scoped package?",
    // Asked not to run.
    "Fix the bug, but don't run `npm publish`.",
    "Do not run `make deploy`; just fix the Makefile.",
    "Fix it without running `npm install`.",
  ])("none in %s", (words) => {
    expect(namedCommands(words)).toEqual([]);
  });
});

describe("namedFiles: the files a user's words name, to read", () => {
  const none = new Set<string>();
  it("in the order named, each once, relative to the working folder, and not those read already", () => {
    expect(namedFiles("Fix stats.py so ../docs/a.md holds; see stats.py and lib/x.js.", "/repo/app", new Set(["/repo/app/lib/x.js"]))).toEqual([
      "/repo/app/stats.py",
      "/repo/docs/a.md",
    ]);
  });

  it("not a file the words ask to write or create: it is not there to read", () => {
    expect(namedFiles("Write `wordcount.py`: it reads text from standard input.", "/repo", none)).toEqual([]);
    expect(namedFiles("Create a new file called util.js that exports add.", "/repo", none)).toEqual([]);
    // A file the words name beside another verb is read.
    expect(namedFiles("Write a test for roman.py in test_roman.py.", "/repo", none)).toEqual(["/repo/roman.py", "/repo/test_roman.py"]);
  });

  it("not a file named only inside a command that is run: its output says what was asked", () => {
    const words = "Run `node tools/fingerprint.js` and tell me the fingerprint it prints.";
    expect(namedFiles(words, "/repo", none, ["node tools/fingerprint.js"])).toEqual([]);
    expect(namedFiles(words, "/repo", none)).toEqual(["/repo/tools/fingerprint.js"]);
    const fix = "`python3 -m unittest test_stats.py` fails. Fix the bug in stats.py.";
    expect(namedFiles(fix, "/repo", none, ["python3 -m unittest test_stats.py"])).toEqual(["/repo/stats.py"]);
  });
});

describe("firstLook: what mallex runs and reads before the model is asked", () => {
  const TOOLS = [tool("Bash"), tool("Read"), tool("Write")];
  const request = (text: string, extra: Partial<MessagesRequest> = {}): MessagesRequest => ({
    model: "claude-sonnet-4-6",
    max_tokens: 1024,
    system: "You are Claude Code.\n# Environment\n - Primary working directory: /repo\n",
    messages: [{ role: "user", content: text }],
    ...extra,
  });
  const both = { readNamedFiles: true, runNamedCommands: true };
  const FIX = "`python3 -m unittest test_stats.py` fails. Fix the bug in stats.py so the tests pass.";

  it("runs each command, then reads each file, in one answer of calls, no tokens counted, said in the log", () => {
    const look = firstLook(both, request(FIX), TOOLS)!;
    expect(look).toEqual({ commands: ["python3 -m unittest test_stats.py"], reads: ["/repo/stats.py"] });
    let id = 0;
    const answer = firstLookAnswer(look, "m", { message: "msg_1", nextCall: () => `toolu_${++id}` });
    expect(answer).toMatchObject({ id: "msg_1", stop_reason: "tool_use", usage: { input_tokens: 0, output_tokens: 0 } });
    expect(answer.content).toEqual([
      { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "python3 -m unittest test_stats.py" } },
      { type: "tool_use", id: "toolu_2", name: "Read", input: { file_path: "/repo/stats.py" } },
    ]);
    expect(describeFirstLook(look)).toBe(
      "Bash `python3 -m unittest test_stats.py`, Read /repo/stats.py, named in the request (tools.run_named_commands, tools.read_named_files)",
    );
  });

  it("each lever alone, where it is on and its tool offered", () => {
    expect(firstLook({ runNamedCommands: true }, request(FIX), TOOLS)).toEqual({ commands: ["python3 -m unittest test_stats.py"], reads: [] });
    // Off, the file inside the command is read, as before the lever.
    expect(firstLook({ readNamedFiles: true }, request(FIX), TOOLS)).toEqual({ commands: [], reads: ["/repo/test_stats.py", "/repo/stats.py"] });
    expect(firstLook(both, request(FIX), [tool("Read")])).toEqual({ commands: [], reads: ["/repo/test_stats.py", "/repo/stats.py"] });
    expect(firstLook(both, request(FIX), [tool("Bash")])).toEqual({ commands: ["python3 -m unittest test_stats.py"], reads: [] });
  });

  it("leaves the request to the model: levers off, nothing named, a tool result last, the client's own tool_choice", () => {
    expect(firstLook({}, request(FIX), TOOLS)).toBeUndefined();
    expect(firstLook(both, request("What is 2+2?"), TOOLS)).toBeUndefined();
    expect(firstLook(both, request(FIX, { tool_choice: { type: "any" } }), TOOLS)).toBeUndefined();
    const afterResult = request(FIX);
    afterResult.messages = [
      { role: "user", content: FIX },
      { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Bash", input: { command: "python3 -m unittest test_stats.py" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "FAILED (failures=1)" }] },
    ];
    expect(firstLook(both, afterResult, TOOLS)).toBeUndefined();
  });
});

describe("tools.search_named_symbols: a name of the code searched, then the files found read", () => {
  const TOOLS = [tool("Bash"), tool("Read"), tool("Grep"), tool("Write")];
  const SYSTEM = "You are Claude Code.\n# Environment\n - Primary working directory: /repo\n";
  const WORDS = "Somewhere in this project the constant `MAX_RETRIES` is defined. Change its value to 5. Change nothing else.";
  const on = { readNamedFiles: true, runNamedCommands: true, searchNamedSymbols: true };
  const SEARCH = { pattern: "\\bMAX_RETRIES\\b", output_mode: "content", "-n": true };
  const searched = (result: string, input: object = SEARCH): MessagesRequest => ({
    model: "claude-sonnet-4-6",
    max_tokens: 1024,
    system: SYSTEM,
    messages: [
      { role: "user", content: WORDS },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "Grep", input }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: result }] },
      { role: "system", content: "Claude Code's own note after the user's message." } as never,
    ],
  });

  it("searches the first quoted name where the words name no file, as whole words with line numbers", () => {
    const look = firstLook(on, { model: "m", max_tokens: 1, system: SYSTEM, messages: [{ role: "user", content: WORDS }] }, TOOLS)!;
    expect(look).toEqual({ commands: [], reads: [], search: "MAX_RETRIES" });
    const answer = firstLookAnswer(look, "m", { message: "msg_1", nextCall: () => "toolu_1" });
    expect(answer.content).toEqual([{ type: "tool_use", id: "toolu_1", name: "Grep", input: SEARCH }]);
    expect(describeFirstLook(look)).toBe("Grep `MAX_RETRIES`, named in the request (tools.search_named_symbols)");
    expect(symbolSearch("$el").pattern).toBe("\\$el\\b");
  });

  it("reads the files its result lists, relative or absolute, each once; says where they came from", () => {
    const look = firstLook(
      on,
      searched(
        "src/config/limits.js:3:export const MAX_RETRIES = 3;\n/repo/src/net.js:1:import { MAX_RETRIES } from './config/limits.js';\nsrc/config/limits.js:9:// MAX_RETRIES",
      ),
      TOOLS,
    )!;
    // limits.js defines the name: read last.
    expect(look).toEqual({ commands: [], reads: ["/repo/src/net.js", "/repo/src/config/limits.js"], found: "MAX_RETRIES" });
    expect(describeFirstLook(look)).toBe(
      "Read /repo/src/net.js, /repo/src/config/limits.js, found by the search for `MAX_RETRIES` (tools.search_named_symbols)",
    );
  });

  it("leaves the model to choose: nothing found, more files than it reads, the model's own search, a named file, a quoted name with the lever off", () => {
    expect(firstLook(on, searched("No matches found"), TOOLS)).toBeUndefined();
    expect(foundFiles(["a.js:1:x", "b.js:1:x", "c.js:1:x", "d.js:1:x"].join("\n"), "/repo", "x")).toEqual([]);
    expect(firstLook(on, searched("src/config/limits.js:3:x", { pattern: "MAX_RETRIES" }), TOOLS)).toBeUndefined();
    const named = { model: "m", max_tokens: 1, system: SYSTEM, messages: [{ role: "user" as const, content: "Implement `slugify` in slugify.js." }] };
    expect(firstLook(on, named, TOOLS)).toEqual({ commands: [], reads: ["/repo/slugify.js"] });
    expect(firstLook({ ...on, searchNamedSymbols: false }, searched("src/config/limits.js:3:x"), TOOLS)).toBeUndefined();
    expect(firstLook(on, { model: "m", max_tokens: 1, system: SYSTEM, messages: [{ role: "user", content: WORDS }] }, [tool("Read")])).toBeUndefined();
  });

  it("reads the file that defines the name last, so the model is asked for that one", () => {
    const found = (lines: string[], symbol = "MAX_RETRIES") => foundFiles(lines.join("\n"), "/r", symbol);
    expect(
      found([
        "src/net/retry.js:1:import { MAX_RETRIES } from '../config/limits.js';",
        "src/config/limits.js:3:export const MAX_RETRIES = 3;",
        "docs/retries.md:3:Requests are retried up to MAX_RETRIES times.",
      ]),
    ).toEqual(["/r/src/net/retry.js", "/r/docs/retries.md", "/r/src/config/limits.js"]);
    expect(found(["settings.py:2:MAX_RETRIES: int = 3", "main.py:9:if n == MAX_RETRIES:"])).toEqual(["/r/main.py", "/r/settings.py"]);
    expect(found(["lib/users.js:4:export async function getUserName(id) {", "main.js:2:getUserName(1)"], "getUserName")).toEqual([
      "/r/main.js",
      "/r/lib/users.js",
    ]);
    // A use that compares, or a longer name, defines nothing: the result's own order stays.
    expect(found(["a.py:1:x = MAX_RETRIES == 3", "b.py:1:MAX_RETRIES_LIMIT = 2"])).toEqual(["/r/a.py", "/r/b.py"]);
    expect(found(["a.js:1:$el = 1", "b.js:1:use($el)"], "$el")).toEqual(["/r/b.js", "/r/a.js"]);
  });

  it("beside a command to run: both in one answer", () => {
    const words = "Rename the function `getUserName` to `displayNameOf` everywhere, then run `node main.js` to check it still works.";
    const look = firstLook(on, { model: "m", max_tokens: 1, system: SYSTEM, messages: [{ role: "user", content: words }] }, TOOLS)!;
    // main.js is named only inside the command: the name is still searched.
    expect(look).toEqual({ commands: ["node main.js"], reads: [], search: "getUserName" });
  });
});

describe("tools.check_after_edits: the request's commands run again after the model's edit", () => {
  const TOOLS = [tool("Bash"), tool("Read"), tool("Write"), tool("Edit")];
  const WORDS = "`npm test` fails in this project. Find the bug in the source and fix it.";
  const on = { runNamedCommands: true, checkAfterEdits: true };
  const run = (id: string) => turn(id, "Bash", { command: "npm test" }, "Exit code 1\nnot ok 1", true);
  const write = (id: string) => turn(id, "Write", { file_path: "/repo/src/range.js", content: "x" }, "The file has been updated.");
  const asked = (...messages: AnthropicMessageParam[]): MessagesRequest => ({
    model: "m",
    max_tokens: 1,
    system: "# Environment\n - Primary working directory: /repo\n",
    messages: [{ role: "user", content: WORDS }, ...messages, { role: "system", content: "a note" } as never],
  });

  it("runs them once the model's edit succeeded, said in the log", () => {
    const look = firstLook(on, asked(...run("t1"), ...write("t2")), TOOLS)!;
    expect(look).toEqual({ commands: ["npm test"], reads: [], check: true });
    expect(firstLookAnswer(look, "m", { message: "msg", nextCall: () => "toolu_9" }).content).toEqual([
      { type: "tool_use", id: "toolu_9", name: "Bash", input: { command: "npm test" } },
    ]);
    expect(describeFirstLook(look)).toBe("Bash `npm test` again after the model's edit (tools.check_after_edits)");
    // An Edit counts as a Write does; the lever needs no first look of its own.
    const edit = turn("t2", "Edit", { file_path: "/repo/src/range.js", old_string: "<", new_string: "<=" }, "ok");
    expect(firstLook({ checkAfterEdits: true }, asked(...run("t1"), ...edit), TOOLS)).toEqual(look);
  });

  it("at most MAX_CHECKS times after the first edit, then the model answers", () => {
    const turns: AnthropicMessageParam[] = [...run("t0"), ...write("w1")];
    for (let check = 1; check < MAX_CHECKS; check++) turns.push(...run(`c${check}`), ...write(`w${check + 1}`));
    expect(firstLook(on, asked(...turns), TOOLS)).toEqual({ commands: ["npm test"], reads: [], check: true });
    turns.push(...run("last"), ...write("after"));
    expect(firstLook(on, asked(...turns), TOOLS)).toBeUndefined();
  });

  it("ends the turn once a command that failed passes after the edit, saying so; not for one that passed before any edit", () => {
    const passed = turn("c1", "Bash", { command: "npm test" }, "ok");
    const look = firstLook(on, asked(...run("t1"), ...write("t2"), ...passed), TOOLS)!;
    expect(look).toEqual({ commands: [], reads: [], passes: "npm test" });
    expect(firstLookAnswer(look, "m", { message: "msg", nextCall: () => "unused" })).toMatchObject({
      content: [{ type: "text", text: "`npm test` passes now." }],
      stop_reason: "end_turn",
      usage: { input_tokens: 0, output_tokens: 0 },
    });
    expect(describeFirstLook(look)).toBe("the end: `npm test` passes after the model's edit (tools.check_after_edits)");
    // Passed before the edit (a rename checked by running the program): the model goes on while a file read still says the old name.
    const rename = "Rename `getUserName` to `displayNameOf` everywhere, then run `node main.js` to check it still works.";
    const ok = (id: string) => turn(id, "Bash", { command: "node main.js" }, "Hello");
    const readMain = turn("r", "Read", { file_path: "/repo/main.js" }, numberedLines("console.log(getUserName(ada));\n"));
    const renamedLib = turn("t2", "Write", { file_path: "/repo/lib.js", content: "export const displayNameOf = (u) => u.name;\n" }, "ok");
    const halfway = { ...asked(), messages: [{ role: "user" as const, content: rename }, ...ok("t1"), ...readMain, ...renamedLib, ...ok("c1")] };
    expect(firstLook(on, halfway, TOOLS)).toBeUndefined();
    const renamedMain = turn("t3", "Write", { file_path: "/repo/main.js", content: "console.log(displayNameOf(ada));\n" }, "ok");
    const done = { ...halfway, messages: [...halfway.messages, ...renamedMain, ...ok("c2")] };
    expect(firstLook(on, done, TOOLS)).toEqual({ commands: [], reads: [], passes: "node main.js" });
    // The rename done but the last turn no run of the command (the model's own Write of main.js): no end yet, and no failure of mallex's.
    const renamedLast = { ...halfway, messages: [...halfway.messages, ...renamedMain] };
    expect(() => firstLook(on, renamedLast, TOOLS)).not.toThrow();
    expect(firstLook(on, renamedLast, TOOLS)).toEqual({ commands: ["node main.js"], reads: [], check: true });
    const failedRun = turn("c2", "Bash", { command: "node main.js" }, "Exit code 1\nSyntaxError", true);
    expect(firstLook(on, { ...halfway, messages: [...halfway.messages, ...renamedMain, ...failedRun] }, TOOLS)).toBeUndefined();
    // Passing with no edit since the request: nothing to say.
    expect(firstLook(on, asked(...run("t1"), ...turn("r", "Read", { file_path: "/repo/a.js" }, "1\tx"), ...passed), TOOLS)).toBeUndefined();
  });

  it("leaves the model to answer: an edit that failed, the model's own run beside its edit, no command named, another tool, the lever off or Bash not offered", () => {
    const failed = turn("t2", "Write", { file_path: "/repo/a.js", content: "x" }, "File has not been read yet.", true);
    expect(firstLook(on, asked(...run("t1"), ...failed), TOOLS)).toBeUndefined();
    const both: AnthropicMessageParam[] = [
      {
        role: "assistant",
        content: [
          { type: "tool_use", id: "w", name: "Write", input: { file_path: "/repo/a.js", content: "x" } },
          { type: "tool_use", id: "r", name: "Bash", input: { command: "npm test" } },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "w", content: "ok" },
          { type: "tool_result", tool_use_id: "r", content: "passed" },
        ],
      },
    ];
    // Not run again: the model ran it itself, and it passes now.
    expect(firstLook(on, asked(...run("t1"), ...both), TOOLS)).toEqual({ commands: [], reads: [], passes: "npm test" });
    const implement = { ...asked(...write("t2")), messages: [{ role: "user" as const, content: "Implement `slugify` in slugify.js." }, ...write("t2")] };
    expect(firstLook(on, implement, TOOLS)).toBeUndefined();
    expect(firstLook(on, asked(...run("t1"), ...turn("t2", "Read", { file_path: "/repo/a.js" }, "1\tx")), TOOLS)).toBeUndefined();
    expect(firstLook({ runNamedCommands: true }, asked(...run("t1"), ...write("t2")), TOOLS)).toBeUndefined();
    expect(firstLook(on, asked(...run("t1"), ...write("t2")), [tool("Read"), tool("Write")])).toBeUndefined();
  });
});

describe("tools.end_after_edits: the turn ends once every file the request names to change or write is changed", () => {
  const TOOLS = [tool("Bash"), tool("Read"), tool("Write"), tool("Edit")];
  const on = { endAfterEdits: true };
  const write = (id: string, path: string, isError = false) =>
    turn(id, "Write", { file_path: path, content: "x" }, isError ? "File has not been read yet." : "The file has been updated.", isError);
  const readRoman = turn("r", "Read", { file_path: "/repo/roman.py" }, numberedLines("def to_roman(n):\n    raise NotImplementedError\n"));
  const asked = (words: string, ...messages: AnthropicMessageParam[]): MessagesRequest => ({
    model: "m",
    max_tokens: 1,
    system: "# Environment\n - Primary working directory: /repo\n",
    messages: [{ role: "user", content: words }, ...messages, { role: "system", content: "a note" } as never],
  });
  const IMPLEMENT = "Implement `to_roman` in roman.py as its docstring says.";

  it("ends the turn after the edit of the file named, saying so, no tokens counted, said in the log", () => {
    const look = firstLook(on, asked(IMPLEMENT, ...readRoman, ...write("w", "/repo/roman.py")), TOOLS)!;
    expect(look).toEqual({ commands: [], reads: [], done: ["/repo/roman.py"] });
    expect(firstLookAnswer(look, "m", { message: "msg", nextCall: () => "unused" })).toMatchObject({
      content: [{ type: "text", text: "Changed roman.py." }],
      stop_reason: "end_turn",
      usage: { input_tokens: 0, output_tokens: 0 },
    });
    expect(describeFirstLook(look)).toBe("the end: roman.py changed as the request asks (tools.end_after_edits)");
    // A file the request asks to write, and an Edit as well as a Write.
    const spec = "Write `wordcount.py`: it reads text from standard input and prints the number of lines.";
    expect(firstLook(on, asked(spec, ...write("w", "/repo/wordcount.py")), TOOLS)).toEqual({ commands: [], reads: [], done: ["/repo/wordcount.py"] });
    const edit = turn("e", "Edit", { file_path: "/repo/roman.py", old_string: "raise", new_string: "return" }, "ok");
    expect(firstLook(on, asked(IMPLEMENT, ...readRoman, ...edit), TOOLS)).toEqual({ commands: [], reads: [], done: ["/repo/roman.py"] });
  });

  it("waits for every file named: two named, one changed, then both", () => {
    const two = "Fix the bug in stats.py. Then update README.md to say so.";
    const one = write("w1", "/repo/stats.py");
    expect(firstLook(on, asked(two, ...one), TOOLS)).toBeUndefined();
    expect(firstLook(on, asked(two, ...one, ...write("w2", "/repo/README.md")), TOOLS)).toEqual({
      commands: [],
      reads: [],
      done: ["/repo/stats.py", "/repo/README.md"],
    });
  });

  it("where the request names no file but quotes a name of the code, waits for the one file read that defines it", () => {
    const words = "Somewhere in this project the constant `MAX_RETRIES` is defined. Change its value to 5. Change nothing else.";
    const reads: AnthropicMessageParam[] = [
      {
        role: "assistant",
        content: ["retry", "limits"].map((name) => ({ type: "tool_use" as const, id: name, name: "Read", input: { file_path: `/repo/src/${name}.js` } })),
      },
      {
        role: "user",
        content: [
          { type: "tool_result" as const, tool_use_id: "retry", content: numberedLines("import { MAX_RETRIES } from './limits.js';\n") },
          { type: "tool_result" as const, tool_use_id: "limits", content: numberedLines("export const TIMEOUT_MS = 10;\nexport const MAX_RETRIES = 3;\n") },
        ],
      },
    ];
    expect(firstLook(on, asked(words, ...reads, ...write("w", "/repo/src/retry.js")), TOOLS)).toBeUndefined();
    expect(firstLook(on, asked(words, ...reads, ...write("w", "/repo/src/limits.js")), TOOLS)).toEqual({
      commands: [],
      reads: [],
      done: ["/repo/src/limits.js"],
    });
    // About every use, or no file read defines it: the model goes on.
    const everyUse = "Change the type of `MAX_RETRIES` to a string, and every use of it.";
    expect(firstLook(on, asked(everyUse, ...reads, ...write("w", "/repo/src/limits.js")), TOOLS)).toBeUndefined();
    expect(firstLook(on, asked("Change `TIMEOUTS` to 5.", ...reads, ...write("w", "/repo/src/limits.js")), TOOLS)).toBeUndefined();
  });

  it("leaves the model to answer: an edit that failed, another file changed, no edit in the last turn, a command to run, a rename, a question, the lever off", () => {
    expect(firstLook(on, asked(IMPLEMENT, ...readRoman, ...write("w", "/repo/roman.py", true)), TOOLS)).toBeUndefined();
    expect(firstLook(on, asked(IMPLEMENT, ...readRoman, ...write("w", "/repo/other.py")), TOOLS)).toBeUndefined();
    // A Write of the file as it was read changed nothing, though Claude Code answers it as a change made.
    const putBack = turn(
      "w",
      "Write",
      { file_path: "/repo/roman.py", content: "def to_roman(n):\n    raise NotImplementedError" },
      "The file has been updated.",
    );
    expect(firstLook(on, asked(IMPLEMENT, ...readRoman, ...putBack), TOOLS)).toBeUndefined();
    expect(firstLook(on, asked(IMPLEMENT, ...readRoman, ...write("w1", "/repo/roman.py"), ...putBack), TOOLS)).toBeUndefined();
    const readAfter = turn("r2", "Read", { file_path: "/repo/roman.py" }, "1\tx");
    expect(firstLook(on, asked(IMPLEMENT, ...write("w", "/repo/roman.py"), ...readAfter), TOOLS)).toBeUndefined();
    // A command to run: tools.check_after_edits ends those once it passes.
    const fix = "`python3 -m unittest test_stats.py` fails. Fix the bug in stats.py so the tests pass.";
    expect(firstLook(on, asked(fix, ...write("w", "/repo/stats.py")), TOOLS)).toBeUndefined();
    expect(
      firstLook(on, asked("Rename the function `getUserName` in users.js to `displayNameOf` everywhere.", ...write("w", "/repo/users.js")), TOOLS),
    ).toBeUndefined();
    expect(
      firstLook(on, asked("Somewhere the constant `MAX_RETRIES` is defined. Change its value to 5.", ...write("w", "/repo/limits.js")), TOOLS),
    ).toBeUndefined();
    expect(firstLook({ readNamedFiles: true }, asked(IMPLEMENT, ...readRoman, ...write("w", "/repo/roman.py")), TOOLS)).toBeUndefined();
  });
});

describe("tools.follow_failures: a failing command's files read, then the files they load", () => {
  const TOOLS = [tool("Bash"), tool("Read"), tool("Write")];
  const WORDS = "`npm test` fails in this project. Find the bug in the source and fix it. Do not change the tests.";
  const on = { runNamedCommands: true, followFailures: true };
  const FAILURE = [
    "Exit code 1",
    "AssertionError [ERR_ASSERTION]: Expected values to be strictly deep-equal:",
    "    at file:///repo/test/range.test.js:4:8",
    "    at ModuleJob.run (node:internal/modules/esm/module_job:325:25)",
    "    at /repo/node_modules/tap/index.js:1:1",
    "    at /elsewhere/x.js:1:1",
  ].join("\n");
  const TEST = 'import assert from "node:assert/strict";\nimport { range } from "../src/range.js";\nassert.deepEqual(range(1, 3), [1, 2, 3]);\n';
  const asked = (...messages: AnthropicMessageParam[]): MessagesRequest => ({
    model: "m",
    max_tokens: 1,
    system: "# Environment\n - Primary working directory: /repo\n",
    messages: [{ role: "user", content: WORDS }, ...messages],
  });
  const ran = (outcome: string, isError = true): AnthropicMessageParam[] => [
    { role: "assistant", content: [{ type: "tool_use", id: "b", name: "Bash", input: { command: "npm test" } }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "b", content: outcome, ...(isError ? { is_error: true } : {}) }] },
  ];
  const readTest: AnthropicMessageParam[] = [
    { role: "assistant", content: [{ type: "tool_use", id: "r", name: "Read", input: { file_path: "/repo/test/range.test.js" } }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "r", content: numberedLines(TEST) }] },
  ];

  it("reads the project's files the failure's output points at, then the project's files they load", () => {
    const first = firstLook(on, asked(...ran(FAILURE)), TOOLS)!;
    expect(first).toEqual({ commands: [], reads: ["/repo/test/range.test.js"], followed: true });
    expect(describeFirstLook(first)).toBe("Read /repo/test/range.test.js, following the failure of a command the request names (tools.follow_failures)");
    expect(firstLook(on, asked(...ran(FAILURE), ...readTest), TOOLS)).toEqual({ commands: [], reads: ["/repo/src/range.js"], followed: true });
  });

  it("what a file loads: relative imports and requires, and data files it names, inside the project", () => {
    const app =
      'import { readFileSync } from "node:fs";\nconst config = JSON.parse(readFileSync("config.json", "utf8"));\nconst sum = require("./lib/sum.js");\nimport("../../outside.js");\n';
    expect(loadedFiles(app, "/repo/app.js", "/repo")).toEqual(["/repo/lib/sum.js", "/repo/config.json"]);
    expect(outputFiles('  File "/repo/test_stats.py", line 9, in test_even\n  File "/usr/lib/python3.11/unittest/case.py", line 3', "/repo")).toEqual([
      "/repo/test_stats.py",
    ]);
  });

  it("follows nothing: a command that passed, a file read already, after the model's own step, or the lever off", () => {
    expect(firstLook(on, asked(...ran("ok", false)), TOOLS)).toBeUndefined();
    const withRead = asked(...ran(FAILURE));
    (withRead.messages[1]!.content as unknown[]).push({ type: "tool_use", id: "s", name: "Read", input: { file_path: "/repo/test/range.test.js" } });
    (withRead.messages[2]!.content as unknown[]).push({ type: "tool_result", tool_use_id: "s", content: numberedLines(TEST) });
    // The first look read the file the output names already; one it read beside is no matter.
    expect(firstLook(on, withRead, TOOLS)).toBeUndefined();
    (withRead.messages[1]!.content as Array<{ input: object }>)[1]!.input = { file_path: "/repo/orders.json" };
    expect(firstLook(on, withRead, TOOLS)).toEqual({ commands: [], reads: ["/repo/test/range.test.js"], followed: true });
    const modelsRead: AnthropicMessageParam[] = [
      { role: "assistant", content: [{ type: "tool_use", id: "r", name: "Read", input: { file_path: "/repo/README.md" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "r", content: numberedLines('see "./docs/x.md"\n') }] },
    ];
    expect(firstLook(on, asked(...ran(FAILURE), ...modelsRead), TOOLS)).toBeUndefined();
    expect(firstLook({ runNamedCommands: true }, asked(...ran(FAILURE)), TOOLS)).toBeUndefined();
    // The request names the file to change: that is where to look.
    const named = asked(...ran(FAILURE));
    named.messages[0] = { role: "user", content: "`npm test` fails. Fix the bug in src/range.js." };
    expect(firstLook(on, named, TOOLS)).toBeUndefined();
  });
});

describe("tools.read_small_projects: a request about the project that names nothing, the project listed, then read where it is small", () => {
  const TOOLS = [tool("Bash"), tool("Read"), tool("Glob"), tool("Grep")];
  const WORDS = "Which function in this project deletes files from disk? Answer with the function's name only.";
  const on = { readNamedFiles: true, runNamedCommands: true, searchNamedSymbols: true, readSmallProjects: true };
  const SYSTEM = "# Environment\n - Primary working directory: /repo\n";
  const asked = (words: string, ...messages: AnthropicMessageParam[]): MessagesRequest => ({
    model: "m",
    max_tokens: 1,
    system: SYSTEM,
    messages: [{ role: "user", content: words }, ...messages],
  });
  const listed = (result: string, input: object = PROJECT_FILES): AnthropicMessageParam[] => [
    { role: "assistant", content: [{ type: "tool_use", id: "g", name: "Glob", input }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "g", content: result }] },
  ];

  it("lists the project's files, then reads them all where there are few, said in the log", () => {
    const look = firstLook(on, asked(WORDS), TOOLS)!;
    expect(look).toEqual({ commands: [], reads: [], list: true });
    expect(firstLookAnswer(look, "m", { message: "msg", nextCall: () => "toolu_1" }).content).toEqual([
      { type: "tool_use", id: "toolu_1", name: "Glob", input: PROJECT_FILES },
    ]);
    expect(describeFirstLook(look)).toBe("Glob of the project's files, the request naming none (tools.read_small_projects)");
    const files = ["/repo/app/cache.py", "app/main.py", "/repo/app/settings.py", "/repo/node_modules/x/index.js", "/elsewhere/y.py"].join("\n");
    const read = firstLook(on, asked(WORDS, ...listed(files)), TOOLS)!;
    expect(read).toEqual({ commands: [], reads: ["/repo/app/cache.py", "/repo/app/main.py", "/repo/app/settings.py"], listed: true });
    expect(describeFirstLook(read)).toBe(
      "Read /repo/app/cache.py, /repo/app/main.py, /repo/app/settings.py, the project's files, few enough to read all (tools.read_small_projects)",
    );
  });

  it("leaves the list to the model where the project is larger, nothing was found, or the Glob was the model's own", () => {
    const many = Array.from({ length: MAX_SMALL_PROJECT + 1 }, (_, at) => `/repo/f${at}.py`).join("\n");
    expect(firstLook(on, asked(WORDS, ...listed(many)), TOOLS)).toBeUndefined();
    expect(firstLook(on, asked(WORDS, ...listed("No files found")), TOOLS)).toBeUndefined();
    expect(firstLook(on, asked(WORDS, ...listed("/repo/a.py", { pattern: "**/*.py" })), TOOLS)).toBeUndefined();
  });

  it("looks elsewhere first, or not at all: a file, command or name named, a request not about the project, the lever off, no Glob offered", () => {
    expect(firstLook(on, asked("Fix the bug in stats.py in this project."), TOOLS)).toEqual({ commands: [], reads: ["/repo/stats.py"] });
    expect(firstLook(on, asked("Where is `purge_stale` defined in this project?"), TOOLS)).toMatchObject({ search: "purge_stale" });
    expect(firstLook(on, asked("Write `wordcount.py` for this project: it counts words."), TOOLS)).toBeUndefined();
    expect(firstLook(on, asked("What is 2+2?"), TOOLS)).toBeUndefined();
    expect(firstLook({ ...on, readSmallProjects: false }, asked(WORDS), TOOLS)).toBeUndefined();
    expect(firstLook(on, asked(WORDS), [tool("Read"), tool("Grep")])).toBeUndefined();
  });
});
