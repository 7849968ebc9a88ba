import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

const GLOB = "<function=Glob>\n<parameter=pattern>src/**/*.ts</parameter>\n</function>";
const GREP = "<function=Grep>\n<parameter=pattern>TODO</parameter>\n<parameter=path>src</parameter>\n</function>";
const ONE = `<seed:tool_call>\n${GLOB}\n</seed:tool_call>`;
const TWO = `<seed:tool_call>\n${GLOB}\n${GREP}\n</seed:tool_call>`;
const PY = 'print("</seed:tool_call>")\nx = "</parameter>"\n';
const WRITE = `<seed:tool_call>\n<function=Write>\n<parameter=file_path>\n/a.py\n</parameter>\n<parameter=content>\n${PY}\n</parameter>\n</function>\n</seed:tool_call>`;
const OPEN_CUT = "<seed:tool_call>\n<function=Write>\n<parameter=content>\nprint(";

export const seedOssCorpus: readonly CorpusEntry[] = [
  {
    name: "prose then one call",
    input: `Let me find the sources.\n${ONE}`,
    expected: [text("Let me find the sources.\n"), call("Glob", { pattern: "src/**/*.ts" }, ONE, true)],
  },
  {
    name: "two functions in one wrapper",
    input: TWO,
    expected: [call("Glob", { pattern: "src/**/*.ts" }, GLOB, true), call("Grep", { pattern: "TODO", path: "src" }, GREP, true)],
  },
  {
    name: "layout newlines trimmed, end markers inside a value",
    input: `${WRITE}\nDone.`,
    expected: [call("Write", { file_path: "/a.py", content: PY }, WRITE, true), text("\nDone.")],
  },
  {
    name: "unterminated but whole",
    input: `<seed:tool_call>\n${GLOB}`,
    expected: [call("Glob", { pattern: "src/**/*.ts" }, `<seed:tool_call>\n${GLOB}`, true)],
  },
  {
    name: "unterminated and cut off",
    input: OPEN_CUT,
    expected: [invalid(OPEN_CUT, 'parameter "content" of the tool call is not closed')],
  },
  {
    name: "wrapper without a function",
    input: "<seed:tool_call>Glob src</seed:tool_call>",
    expected: [invalid("<seed:tool_call>Glob src</seed:tool_call>", "the tool call block holds no call")],
  },
  {
    name: "prose mentioning a partial marker",
    input: "Seed-OSS uses <seed:tool and <seed:think> tags.",
    expected: [text("Seed-OSS uses <seed:tool and <seed:think> tags.")],
  },
];
