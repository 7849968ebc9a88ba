import { describe, expect, it } from "vitest";
import type { AnthropicCustomTool, MessagesRequest } from "../../src/translate/anthropic-types.js";
import { describeFirstLook, firstLook, firstLookAnswer } from "../../src/pipeline/first-look/first-look.js";
import { foundFiles, symbolSearch } from "../../src/pipeline/first-look/search-named-symbols.js";
import { namedFiles } from "../../src/pipeline/first-look/read-named-files.js";
import { namedCommands } from "../../src/pipeline/first-look/run-named-commands.js";

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
  const tool = (name: string): AnthropicCustomTool => ({ name, input_schema: { type: "object" } });
  const TOOLS = [tool("Bash"), tool("Read"), tool("Write")];
  const request = (text: string, extra: Partial<MessagesRequest> = {}): MessagesRequest => ({
    model: "claude-sonnet-4-5",
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
  const tool = (name: string): AnthropicCustomTool => ({ name, input_schema: { type: "object" } });
  const TOOLS = [tool("Bash"), tool("Read"), tool("Grep"), tool("Write")];
  const SYSTEM = "You are Claude Code.\n# Environment\n - Primary working directory: /repo\n";
  const WORDS = "Somewhere in this project the constant `MAX_RETRIES` is defined. Change its value to 5. Change nothing else.";
  const on = { readNamedFiles: true, runNamedCommands: true, searchNamedSymbols: true };
  const SEARCH = { pattern: "\\bMAX_RETRIES\\b", output_mode: "content", "-n": true };
  const searched = (result: string, input: object = SEARCH): MessagesRequest => ({
    model: "claude-sonnet-4-5",
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
    expect(look).toEqual({ commands: [], reads: ["/repo/src/config/limits.js", "/repo/src/net.js"], found: "MAX_RETRIES" });
    expect(describeFirstLook(look)).toBe(
      "Read /repo/src/config/limits.js, /repo/src/net.js, found by the search for `MAX_RETRIES` (tools.search_named_symbols)",
    );
  });

  it("leaves the model to choose: nothing found, more files than it reads, the model's own search, a named file, a quoted name with the lever off", () => {
    expect(firstLook(on, searched("No matches found"), TOOLS)).toBeUndefined();
    expect(foundFiles(["a.js:1:x", "b.js:1:x", "c.js:1:x", "d.js:1:x"].join("\n"), "/repo")).toEqual([]);
    expect(firstLook(on, searched("src/config/limits.js:3:x", { pattern: "MAX_RETRIES" }), TOOLS)).toBeUndefined();
    const named = { model: "m", max_tokens: 1, system: SYSTEM, messages: [{ role: "user" as const, content: "Implement `slugify` in slugify.js." }] };
    expect(firstLook(on, named, TOOLS)).toEqual({ commands: [], reads: ["/repo/slugify.js"] });
    expect(firstLook({ ...on, searchNamedSymbols: false }, searched("src/config/limits.js:3:x"), TOOLS)).toBeUndefined();
    expect(firstLook(on, { model: "m", max_tokens: 1, system: SYSTEM, messages: [{ role: "user", content: WORDS }] }, [tool("Read")])).toBeUndefined();
  });

  it("beside a command to run: both in one answer", () => {
    const words = "Rename the function `getUserName` to `displayNameOf` everywhere, then run `node main.js` to check it still works.";
    const look = firstLook(on, { model: "m", max_tokens: 1, system: SYSTEM, messages: [{ role: "user", content: words }] }, TOOLS)!;
    // main.js is named only inside the command: the name is still searched.
    expect(look).toEqual({ commands: ["node main.js"], reads: [], search: "getUserName" });
  });
});
