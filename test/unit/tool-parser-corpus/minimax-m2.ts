import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

const READ = '<invoke name="Read">\n<parameter name="file_path">/src/main.ts</parameter>\n</invoke>';
const BASH = '<invoke name="Bash">\n<parameter name="command">npm test -- --run</parameter>\n</invoke>';
const ONE = `<minimax:tool_call>\n${READ}\n</minimax:tool_call>`;
const TWO = `<minimax:tool_call>\n${READ}\n${BASH}\n</minimax:tool_call>`;
const CODE = 'const tag = "</minimax:tool_call>";\nif (a < b) return "</invoke>";\n';
const WRITE = `<minimax:tool_call>\n<invoke name="Write">\n<parameter name="file_path">/t.ts</parameter>\n<parameter name="content">${CODE}</parameter>\n</invoke>\n</minimax:tool_call>`;
const OPEN_COMPLETE = `<minimax:tool_call>\n${BASH}\n`;
const OPEN_CUT = '<minimax:tool_call>\n<invoke name="Write">\n<parameter name="content">hal';
const STRAY = `<minimax:tool_call>\nlet me\n${READ}\n</minimax:tool_call>`;

const DOC = `Calls look like this:\n${ONE}\n`;
const WRITE_DOC = `<minimax:tool_call>\n<invoke name="Write">\n<parameter name="file_path">/calls.md</parameter>\n<parameter name="content">${DOC}</parameter>\n</invoke>\n</minimax:tool_call>`;

// Words between two parameters, or two calls, on one line: the tags after them are still the next
// sibling (the call is broken), never part of the value before (a command run with them in it).
const WORDS_BETWEEN_PARAMETERS = `<minimax:tool_call>\n<invoke name="Bash">\n<parameter name="command">ls</parameter>, <parameter name="timeout">5</parameter>\n</invoke>\n</minimax:tool_call>`;
const INLINE_READ = '<invoke name="Read"><parameter name="file_path">/a</parameter></invoke>';
const INLINE_BASH = '<invoke name="Bash"><parameter name="command">ls</parameter></invoke>';
const WORDS_BETWEEN_CALLS = `<minimax:tool_call>\n${INLINE_READ} and ${INLINE_BASH}\n</minimax:tool_call>`;

export const minimaxM2Corpus: readonly CorpusEntry[] = [
  {
    name: "words between two parameters on one line: a broken call, not a longer value",
    input: WORDS_BETWEEN_PARAMETERS,
    expected: [invalid(WORDS_BETWEEN_PARAMETERS, "the tool call has text outside its parameters")],
  },
  {
    name: "words between two calls on one line: both calls, the words a note",
    input: WORDS_BETWEEN_CALLS,
    expected: [
      call("Read", { file_path: "/a" }, INLINE_READ, true),
      invalid("and", "unexpected text between tool calls"),
      call("Bash", { command: "ls" }, INLINE_BASH, true),
    ],
  },
  {
    name: "a Write whose content holds a whole call: the file is written whole, the inner call not run",
    input: WRITE_DOC,
    expected: [call("Write", { file_path: "/calls.md", content: DOC }, WRITE_DOC, true)],
  },
  {
    name: "prose then one call",
    input: `I'll read the entry point first.\n${ONE}`,
    expected: [text("I'll read the entry point first.\n"), call("Read", { file_path: "/src/main.ts" }, ONE, true)],
  },
  {
    name: "two calls in one section, text after",
    input: `${TWO}\nRunning both.`,
    expected: [call("Read", { file_path: "/src/main.ts" }, READ, true), call("Bash", { command: "npm test -- --run" }, BASH, true), text("\nRunning both.")],
  },
  {
    name: "a value holding the end markers",
    input: WRITE,
    expected: [call("Write", { file_path: "/t.ts", content: CODE }, WRITE, true)],
  },
  {
    name: "unterminated but whole",
    input: OPEN_COMPLETE,
    expected: [call("Bash", { command: "npm test -- --run" }, OPEN_COMPLETE, true)],
  },
  {
    name: "unterminated and cut off",
    input: OPEN_CUT,
    expected: [invalid(OPEN_CUT, 'parameter "content" of the tool call is not closed')],
  },
  {
    name: "stray words inside the section",
    input: STRAY,
    expected: [invalid("let me", "unexpected text between tool calls"), call("Read", { file_path: "/src/main.ts" }, READ, true)],
  },
  {
    name: "section without an invoke",
    input: "<minimax:tool_call>\nRead /a\n</minimax:tool_call>",
    expected: [invalid("<minimax:tool_call>\nRead /a\n</minimax:tool_call>", "the tool call block holds no call")],
  },
  {
    name: "prose mentioning the tags",
    input: 'MiniMax wraps calls in <minimax:tool and <invoke name="x"> tags.',
    expected: [text('MiniMax wraps calls in <minimax:tool and <invoke name="x"> tags.')],
  },
];
