import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

const M = "[TOOL_CALLS]";
const PRE_V11 = `${M} [{"name": "get_weather", "arguments": {"location": "Boston"}, "id": "a1B2c3D4e"}]`;
const PRE_V11_TWO = `${M} [{"name": "Read", "arguments": {"file_path": "/a"}, "id": "a1B2c3D4e"}, {"name": "Read", "arguments": {"file_path": "/b"}, "id": "f5G6h7J8k"}]`;
const CODE = "fn main() { let v = [1, 2]; }\n// a < b > c ]]";

export const mistralCorpus: readonly CorpusEntry[] = [
  {
    // The end-of-sequence token printed as text by a server that does not strip it.
    name: "</s> after a call is the call's leftover",
    input: `${PRE_V11}</s>`,
    expected: [call("get_weather", { location: "Boston" }, PRE_V11, false)],
  },
  {
    name: "pre-v11 array form after text",
    input: `Sure.${PRE_V11}`,
    expected: [text("Sure."), call("get_weather", { location: "Boston" }, PRE_V11, false)],
  },
  {
    name: "pre-v11 array with two calls",
    input: PRE_V11_TWO,
    expected: [call("Read", { file_path: "/a" }, PRE_V11_TWO, false), call("Read", { file_path: "/b" }, PRE_V11_TWO, false)],
  },
  {
    name: "v11 form",
    input: `${M}get_weather[ARGS]{"location": "Boston"}`,
    expected: [call("get_weather", { location: "Boston" }, `${M}get_weather[ARGS]{"location": "Boston"}`, false)],
  },
  {
    name: "v11 calls in a row, each with the marker",
    input: `Working.${M}Read[ARGS]{"file_path": "/a"}${M}Bash[ARGS]{"command": "ls"}`,
    expected: [
      text("Working."),
      call("Read", { file_path: "/a" }, `${M}Read[ARGS]{"file_path": "/a"}`, false),
      call("Bash", { command: "ls" }, `${M}Bash[ARGS]{"command": "ls"}`, false),
    ],
  },
  {
    name: "v11 calls in a row under one marker",
    input: `${M}Read[ARGS]{"file_path": "/a"}Bash[ARGS]{"command": "ls"}`,
    expected: [
      call("Read", { file_path: "/a" }, `${M}Read[ARGS]{"file_path": "/a"}`, false),
      call("Bash", { command: "ls" }, 'Bash[ARGS]{"command": "ls"}', false),
    ],
  },
  {
    name: "v11 with a call id",
    input: `${M}Read[CALL_ID]abc123XYZ[ARGS]{"file_path": "/a"}`,
    expected: [call("Read", { file_path: "/a" }, `${M}Read[CALL_ID]abc123XYZ[ARGS]{"file_path": "/a"}`, false)],
  },
  {
    name: "code with brackets, braces and unicode in a value",
    input: `${M}Write[ARGS]${JSON.stringify({ file_path: "/ü.rs", content: CODE })}\nDone 😀`,
    expected: [
      call("Write", { file_path: "/ü.rs", content: CODE }, `${M}Write[ARGS]${JSON.stringify({ file_path: "/ü.rs", content: CODE })}`, false),
      text("\nDone 😀"),
    ],
  },
  {
    name: "malformed arguments",
    input: `${M}Read[ARGS]{"file_path": /a}`,
    expected: [invalid(`${M}Read[ARGS]{"file_path": /a}`, "the tool call's arguments are not valid JSON")],
  },
  {
    name: "cut off",
    input: `${M}Write[ARGS]{"content": "abc`,
    expected: [invalid(`${M}Write[ARGS]{"content": "abc`, "the tool call is cut off")],
  },
  {
    // No end marker to wait for, and no call opening: the marker was named, so no note (issue 23).
    name: "marker followed by prose",
    input: `${M} sorry, no`,
    expected: [text(`${M} sorry, no`)],
  },
  {
    name: "the marker inside a JSON value",
    input: `${M}Write[ARGS]{"file_path": "/a.md", "content": "Mistral writes [TOOL_CALLS]name[ARGS]{}"}`,
    expected: [
      call(
        "Write",
        { file_path: "/a.md", content: "Mistral writes [TOOL_CALLS]name[ARGS]{}" },
        `${M}Write[ARGS]{"file_path": "/a.md", "content": "Mistral writes [TOOL_CALLS]name[ARGS]{}"}`,
        false,
      ),
    ],
  },
  {
    name: "a good call then a bad marker",
    input: `${M}Read[ARGS]{"file_path": "/a"}
${M} oops`,
    expected: [
      call("Read", { file_path: "/a" }, `${M}Read[ARGS]{"file_path": "/a"}`, false),
      invalid(`${M} oops`, "the text after [TOOL_CALLS] is not a tool call"),
    ],
  },
  {
    name: "brackets that are not the marker",
    input: "See [docs](http://x) and [TOOL",
    expected: [text("See [docs](http://x) and [TOOL")],
  },
  {
    name: "repair: only the closers are missing at the end",
    input: `${M}Read[ARGS]{"file_path": "/a"`,
    expected: [call("Read", { file_path: "/a" }, `${M}Read[ARGS]{"file_path": "/a"`, false)],
  },
  {
    name: "repair: a pre-v11 list missing its closers",
    input: `${M} [{"name": "Read", "arguments": {"file_path": "/a"}}`,
    expected: [call("Read", { file_path: "/a" }, `${M} [{"name": "Read", "arguments": {"file_path": "/a"}}`, false)],
  },
];
