/**
 * Calls written as bare JSON in a Markdown fence, with no family markup (Qwen2.5-Coder's habit), read
 * by every parser: the real ones, and the fences that only show JSON or explain the format, which
 * must come back as the exact text. The first entry is what the real Qwen2.5-Coder-1.5B-Instruct
 * (Q4_K_M) answered to Claude Code's "Create a file named hello.txt containing exactly: Hello from mallex".
 */
import type { AutoCorpusEntry } from "./auto.js";
import { call, invalid, text } from "./corpus-entry.js";

const F = "```";
const TOOLS = ["Write", "Read", "Bash"];
const WRITE_JSON = '{\n  "name": "Write",\n  "arguments": {\n    "file_path": "/tmp/cc-proj/hello.txt",\n    "content": "Hello from mallex"\n  }\n}';
const WRITE_ARGS = { file_path: "/tmp/cc-proj/hello.txt", content: "Hello from mallex" };
const WRITE = call("Write", WRITE_ARGS, WRITE_JSON, false);
const READ_JSON = '{"name": "Read", "parameters": {"file_path": "/a.ts"}}';
const BASH_JSON = '{"name": "Bash", "arguments": {"command": "rm -rf build"}}';

/** Entries whose whole input must come back as text. */
const asText = (name: string, input: string): AutoCorpusEntry => ({ name, input, expected: [text(input)], toolNames: TOOLS });

export const fencedJsonCorpus: readonly AutoCorpusEntry[] = [
  { name: "Qwen2.5-Coder's whole answer: a ```json fence", input: `${F}json\n${WRITE_JSON}\n${F}`, expected: [WRITE], toolNames: TOOLS },
  { name: "a ```JSON fence and a newline after it", input: `${F}JSON\n${WRITE_JSON}\n${F}\n`, expected: [WRITE], toolNames: TOOLS },
  { name: "a plain fence, whitespace after it", input: `${F}\n${WRITE_JSON}\n${F}\n\n  `, expected: [WRITE], toolNames: TOOLS },
  { name: "a ```tool_call fence", input: `${F}tool_call\n${WRITE_JSON}\n${F}`, expected: [WRITE], toolNames: TOOLS },
  {
    name: "prose before the fence stays text",
    input: `I'll create the file:\n${F}json\n${WRITE_JSON}\n${F}`,
    expected: [text("I'll create the file:\n"), WRITE],
    toolNames: TOOLS,
  },
  {
    name: "parameters instead of arguments",
    input: `Reading it.\n\n${F}json\n${READ_JSON}\n${F}`,
    expected: [text("Reading it.\n\n"), call("Read", { file_path: "/a.ts" }, READ_JSON, false)],
    toolNames: TOOLS,
  },
  {
    name: "a list of calls in one fence",
    input: `${F}json\n[${READ_JSON}, {"name": "Bash", "arguments": {"command": "ls"}}]\n${F}`,
    expected: [
      call("Read", { file_path: "/a.ts" }, `[${READ_JSON}, {"name": "Bash", "arguments": {"command": "ls"}}]`, false),
      call("Bash", { command: "ls" }, `[${READ_JSON}, {"name": "Bash", "arguments": {"command": "ls"}}]`, false),
    ],
    toolNames: TOOLS,
  },
  {
    name: "two call objects, one after the other, in one fence",
    input: `${F}json\n${READ_JSON}\n{"name": "Bash", "arguments": {"command": "ls"}}\n${F}`,
    expected: [
      call("Read", { file_path: "/a.ts" }, READ_JSON, false),
      call("Bash", { command: "ls" }, '{"name": "Bash", "arguments": {"command": "ls"}}', false),
    ],
    toolNames: TOOLS,
  },
  {
    name: "a tool name in another case",
    input: `${F}json\n{"name": "read", "arguments": {"file_path": "/a.ts"}}\n${F}`,
    expected: [call("read", { file_path: "/a.ts" }, '{"name": "read", "arguments": {"file_path": "/a.ts"}}', false)],
    toolNames: TOOLS,
  },
  {
    name: "after a fence of ordinary code",
    input: `The fix:\n${F}ts\nconst a = 1;\n${F}\nWriting it:\n${F}json\n${WRITE_JSON}\n${F}`,
    expected: [text(`The fix:\n${F}ts\nconst a = 1;\n${F}\nWriting it:\n`), WRITE],
    toolNames: TOOLS,
  },
  {
    name: "broken JSON naming a requested tool is a broken call",
    input: `${F}json\n{"name": "Read", "arguments": {"file_path": }}\n${F}`,
    expected: [invalid('{"name": "Read", "arguments": {"file_path": }}', "the tool call is not valid JSON")],
    toolNames: TOOLS,
  },
  {
    name: "a stray </tool_call> after the fence belongs to the call",
    input: `${F}json\n${WRITE_JSON}\n${F}\n</tool_call>\n`,
    expected: [WRITE],
    toolNames: TOOLS,
  },
  asText("a stray closing tag cut short is text", `${F}json\n${READ_JSON}\n${F}\n</tool_`),
  asText("two stray closing tags are text", `${F}json\n${READ_JSON}\n${F}\n</tool_call></tool_call>`),
  asText("an example the user asked for", `Here is an example of what a tool call looks like:\n\n${F}json\n${BASH_JSON}\n${F}`),
  asText("for instance, in the same paragraph", `For instance, to clean up\nthe model writes:\n${F}json\n${BASH_JSON}\n${F}\n`),
  asText("what a call would be", `The call would be:\n${F}\n${BASH_JSON}\n${F}`),
  asText("the format, explained", `Calls use this format:\n${F}json\n${BASH_JSON}\n${F}`),
  asText("a fence followed by prose", `${F}json\n${BASH_JSON}\n${F}\nThat is all a call needs.`),
  asText("a tool the request does not have", `${F}json\n{"name": "Deploy", "arguments": {"env": "prod"}}\n${F}`),
  asText("a package.json", `${F}json\n{\n  "name": "my-app",\n  "version": "1.0.0",\n  "scripts": {"build": "tsc"}\n}\n${F}`),
  asText("a ```python fence", `${F}python\n{"name": "Bash", "arguments": {"command": "ls"}}\n${F}`),
  asText("another key first", `${F}json\n{"tool": "Bash", "name": "Bash", "arguments": {"command": "ls"}}\n${F}`),
  asText("more than the call in the fence", `${F}json\n${READ_JSON}\n// then read the next one\n${F}`),
  asText("cut off before the fence closes", `${F}json\n{"name": "Write", "arguments": {"file_path": "/a", "content": "Hel`),
  asText("inline code", `Send \`${READ_JSON}\` to read it.`),
];
