/**
 * A scripted "competent model" for `mallex eval` tests, behind the fake mlx-lm.server's `respond`:
 * it reads the task from the conversation (the prompt, CLAUDE.md's reminder, the working directory
 * in the system prompt, what its tools returned) and answers with Claude Code's tool calls written in
 * Qwen3-Coder's text format, as raw content the server does not parse — mallex's own text parser
 * turns them into tool_use blocks, as it does for a real Qwen3-Coder behind mlx-lm.server. Each
 * answer is decided from the request alone (the turn is the number of assistant messages so far).
 */
import type { FakeRequestRecord, FakeScript } from "./mlx-lm-server.js";

interface Call {
  name: string;
  input: Record<string, unknown>;
}

/** What the model sees of the conversation. */
interface Seen {
  /** The task as the user wrote it (the first user message's text). */
  prompt: string;
  /** Everything in the request, CLAUDE.md's reminder included. */
  all: string;
  cwd: string;
  /** Assistant messages so far: the turn being answered is turn + 1. */
  turn: number;
  /** Each tool result's text, in order. */
  results: string[];
}

type Step = (seen: Seen) => Call[] | string;

interface Plan {
  matches: RegExp;
  steps: Step[];
}

const read = (cwd: string, file: string): Call => ({ name: "Read", input: { file_path: `${cwd}/${file}` } });
const edit = (cwd: string, file: string, oldString: string, newString: string, replaceAll = false): Call => ({
  name: "Edit",
  input: { file_path: `${cwd}/${file}`, old_string: oldString, new_string: newString, ...(replaceAll ? { replace_all: true } : {}) },
});
const bash = (command: string): Call => ({ name: "Bash", input: { command, description: `Run ${command}` } });
const last = (seen: Seen) => seen.results.at(-1) ?? "";
/** Claude Code's Read result numbers its lines ("     1→text" or "1\ttext"); the model reads past that. */
const unnumbered = (text: string) => text.replace(/^\s*\d+(?:→|\t)/gm, "");

const PLANS: Plan[] = [
  {
    matches: /`npm test` fails/,
    steps: [
      () => [bash("npm test")],
      (s) => [read(s.cwd, "src/range.js")],
      (s) => [edit(s.cwd, "src/range.js", "i < end", "i <= end")],
      () => [bash("npm test")],
      (s) => `Fixed the off-by-one in range: the loop now includes \`end\`. npm test: ${last(s).includes("ok") ? "passes" : "still fails"}.`,
    ],
  },
  {
    matches: /unittest test_stats\.py/,
    steps: [
      () => [bash("python3 -m unittest test_stats.py")],
      (s) => [read(s.cwd, "stats.py")],
      (s) => [edit(s.cwd, "stats.py", "(ordered[mid] + ordered[mid + 1]) / 2", "(ordered[mid - 1] + ordered[mid]) / 2")],
      () => [bash("python3 -m unittest test_stats.py")],
      () => "The even case averaged the wrong pair; it now averages the two middle values. The tests pass.",
    ],
  },
  {
    matches: /Implement `slugify`/,
    steps: [
      (s) => [read(s.cwd, "slugify.js")],
      (s) => [
        edit(s.cwd, "slugify.js", 'throw new Error("not implemented");', 'return title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");'),
      ],
      () => "Implemented slugify.",
    ],
  },
  {
    matches: /Implement `to_roman`/,
    steps: [
      (s) => [read(s.cwd, "roman.py")],
      (s) => [
        edit(
          s.cwd,
          "roman.py",
          "    raise NotImplementedError",
          [
            "    if not 1 <= n <= 3999:",
            '        raise ValueError("out of range")',
            '    numerals = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]',
            '    out = ""',
            "    for value, letters in numerals:",
            "        while n >= value:",
            "            out += letters",
            "            n -= value",
            "    return out",
          ].join("\n"),
        ),
      ],
      () => [bash('python3 -c "from roman import to_roman; print(to_roman(1994))"')],
      (s) => `Implemented to_roman; to_roman(1994) is ${last(s).trim()}.`,
    ],
  },
  {
    matches: /Rename the function `\w+` to `\w+`/,
    steps: [
      (s) => [bash(`grep -rln ${renameOf(s).from} --include=*.js .`)],
      (s) => filesFrom(s.results[0]!).map((file) => read(s.cwd, file)),
      (s) => filesFrom(s.results[0]!).map((file) => edit(s.cwd, file, renameOf(s).from, renameOf(s).to, true)),
      () => [bash("node main.js")],
      (s) => `Renamed everywhere; node main.js prints:\n${last(s)}`,
    ],
  },
  {
    matches: /fetchWithRetry/,
    steps: [
      (s) => [read(s.cwd, "client.js")],
      (s) => {
        const code = unnumbered(last(s));
        const attempts = Number(/ATTEMPTS = (\d+)/.exec(code)![1]);
        const first = Number(/FIRST_DELAY_MS = (\d+)/.exec(code)![1]);
        let total = 0;
        for (let wait = 0, delay = first; wait < attempts - 1; wait++, delay *= 2) total += delay;
        return String(total / 1000);
      },
    ],
  },
  {
    matches: /Run `[^`]+` and tell me/,
    steps: [(s) => [bash(/Run `([^`]+)`/.exec(s.prompt)![1]!)], (s) => `It prints ${last(s).trim()}`],
  },
  {
    matches: /`node report\.js` should print the total/,
    steps: [
      () => [bash("node report.js")],
      (s) => [read(s.cwd, "sum.js")],
      (s) => [edit(s.cwd, "sum.js", "export function sumOf(", "export function sumBy(")],
      () => [bash("node report.js")],
      (s) => [read(s.cwd, "report.js"), read(s.cwd, "orders.json")],
      (s) => [edit(s.cwd, "report.js", 'sumBy(orders, "amount")', 'sumBy(orders, "price")')],
      () => [bash("node report.js")],
      (s) => `Fixed the import name and the field name; it now prints ${last(s).trim()}.`,
    ],
  },
  {
    matches: /the constant `\w+` is defined\. Change its value to \d+/,
    steps: [
      (s) => [bash(`grep -rn "${constantOf(s).name} =" .`)],
      (s) => [read(s.cwd, fileOfMatch(s.results[0]!))],
      (s) => {
        const { name, value } = constantOf(s);
        const current = new RegExp(`${name} = ([^;]+);`).exec(unnumbered(last(s)))![1]!;
        return [edit(s.cwd, fileOfMatch(s.results[0]!), `${name} = ${current};`, `${name} = ${value};`)];
      },
      (s) => `Set ${constantOf(s).name} to ${constantOf(s).value} in ${fileOfMatch(s.results[0]!)}.`,
    ],
  },
  {
    matches: /release chore/,
    steps: [
      (s) => {
        // The steps are in CLAUDE.md, which Claude Code sends as a reminder: no reminder, no plan.
        if (!/Bump the patch number of `version` in package\.json/.test(s.all)) return "I do not know this project's release chore.";
        return [read(s.cwd, "package.json"), read(s.cwd, "CHANGELOG.md")];
      },
      (s) => {
        const version = /"version": "(\d+)\.(\d+)\.(\d+)"/.exec(unnumbered(s.results.join("\n")))!;
        const old = `${version[1]}.${version[2]}.${version[3]}`;
        const next = `${version[1]}.${version[2]}.${Number(version[3]) + 1}`;
        return [
          edit(s.cwd, "package.json", `"version": "${old}"`, `"version": "${next}"`),
          edit(s.cwd, "CHANGELOG.md", `- ${old}: released`, `- ${next}: released\n- ${old}: released`),
        ];
      },
      () => "Bumped the patch version and added the changelog line.",
    ],
  },
  {
    matches: /`node app\.js` crashes on start/,
    steps: [
      () => [bash("node app.js")],
      (s) => [read(s.cwd, "config.json")],
      (s) => [edit(s.cwd, "config.json", '"port": 8080,\n}', '"port": 8080\n}')],
      () => [bash("node app.js")],
      (s) => `config.json had a trailing comma; now: ${last(s).trim()}`,
    ],
  },
  {
    matches: /Write `wordcount\.py`/,
    steps: [
      (s) => [
        {
          name: "Write",
          input: {
            file_path: `${s.cwd}/wordcount.py`,
            content: 'import sys\n\ntext = sys.stdin.read()\nprint(text.count("\\n"), len(text.split()), len(text))\n',
          },
        },
      ],
      () => [bash("printf 'a b\\nc\\n' | python3 wordcount.py")],
      (s) => `Wrote wordcount.py; for "a b\\nc\\n" it prints ${last(s).trim()}.`,
    ],
  },
  {
    matches: /deletes files from disk/,
    steps: [
      () => [bash('grep -rn "os.remove\\|os.unlink\\|shutil.rmtree" --include=*.py .')],
      (s) => [read(s.cwd, fileOfMatch(s.results[0]!))],
      (s) => {
        // The def that encloses the first deleting line.
        const lines = unnumbered(last(s)).split("\n");
        const at = lines.findIndex((line) => /os\.remove|os\.unlink|rmtree/.test(line));
        const def = lines
          .slice(0, at)
          .reverse()
          .find((line) => /^def \w+/.test(line));
        return /^def (\w+)/.exec(def ?? "")?.[1] ?? "I could not find one.";
      },
    ],
  },
];

const renameOf = (s: Seen) => {
  const [, from, to] = /Rename the function `(\w+)` to `(\w+)`/.exec(s.prompt)!;
  return { from: from!, to: to! };
};
const constantOf = (s: Seen) => {
  const [, name, value] = /the constant `(\w+)` is defined\. Change its value to (\d+)/.exec(s.prompt)!;
  return { name: name!, value: value! };
};
/** grep -l's paths, relative ("./lib/a.js" → "lib/a.js"). */
const filesFrom = (output: string) => [
  ...new Set(
    output
      .split("\n")
      .map((line) => line.trim().replace(/^\.\//, ""))
      .filter((line) => line !== "" && !line.includes(" ")),
  ),
];
/** The file of grep -n's first match ("./src/a.js:3:…" → "src/a.js"). */
const fileOfMatch = (output: string) => /^\.?\/?([^:\s]+):\d+:/m.exec(output)![1]!;

/** A model that does the task well: see the file's comment. */
export function competentCoder(record: FakeRequestRecord): FakeScript {
  const seen = readConversation(record.body);
  const plan = PLANS.find((p) => p.matches.test(seen.prompt));
  if (plan === undefined) return { text: "I cannot tell what this task asks." };
  const step = plan.steps[Math.min(seen.turn, plan.steps.length - 1)]!;
  const answer = step(seen);
  return typeof answer === "string" ? { text: answer } : { rawText: answer.map(qwen3CoderCall).join("\n") };
}

/**
 * The same competent model, but it writes each call as Hermes JSON in Python's literal style
 * (`{'name': 'Bash', 'arguments': {'command': …}}`), the slip small Qwen2.5 fine-tunes make: the
 * calls are right, and mallex has to repair each one before it can run.
 */
export function sloppyCoder(record: FakeRequestRecord): FakeScript {
  const script = competentCoder(record);
  const calls = "rawText" in script && typeof script.rawText === "string" ? [...script.rawText.matchAll(/<function=(\w+)>([\s\S]*?)<\/function>/g)] : [];
  if (calls.length === 0) return script;
  const written = calls.map(([, name, body]) => {
    const input = Object.fromEntries(
      [...body!.matchAll(/<parameter=(\w+)>\n([\s\S]*?)\n<\/parameter>/g)].map(([, key, value]) => [key!, key === "replace_all" ? value === "true" : value!]),
    );
    return `<tool_call>\n${pythonLiteral({ name, arguments: input })}\n</tool_call>`;
  });
  return { rawText: written.join("\n") };
}

/** Python's repr of a JSON value: single-quoted strings, True/False/None. */
function pythonLiteral(value: unknown): string {
  if (typeof value === "string") return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n")}'`;
  if (typeof value === "boolean") return value ? "True" : "False";
  if (value === null || value === undefined) return "None";
  if (Array.isArray(value)) return `[${value.map(pythonLiteral).join(", ")}]`;
  if (typeof value === "object")
    return `{${Object.entries(value)
      .map(([k, v]) => `${pythonLiteral(k)}: ${pythonLiteral(v)}`)
      .join(", ")}}`;
  return String(value);
}

/** A model that only talks: it claims success and calls no tool. */
export const talkingCoder = (): FakeScript => ({ text: "Done: I fixed the problem and everything works now." });

/** Qwen3-Coder's tool-call markup for one call. */
function qwen3CoderCall(call: Call): string {
  const parameters = Object.entries(call.input).map(
    ([key, value]) => `<parameter=${key}>\n${typeof value === "string" ? value : JSON.stringify(value)}\n</parameter>`,
  );
  return `<tool_call>\n<function=${call.name}>\n${parameters.join("\n")}\n</function>\n</tool_call>`;
}

interface ChatMessage {
  role: string;
  content?: unknown;
}

function readConversation(body: unknown): Seen {
  const messages = ((body as { messages?: ChatMessage[] })?.messages ?? []) as ChatMessage[];
  const texts = messages.map((m) => ({ role: m.role, text: textOf(m.content) }));
  const all = texts.map((t) => t.text).join("\n");
  const firstUser = texts.find((t) => t.role === "user")?.text ?? "";
  const cwd = /working directory: (\/\S+)/i.exec(all)?.[1] ?? "/nonexistent";
  return {
    prompt: stripReminders(firstUser),
    all,
    cwd,
    turn: texts.filter((t) => t.role === "assistant").length,
    results: texts.filter((t) => t.role === "tool").map((t) => t.text),
  };
}

const stripReminders = (text: string) => text.replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, "");

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content
      .map((part) =>
        typeof part === "object" && part !== null && typeof (part as { text?: unknown }).text === "string" ? (part as { text: string }).text : "",
      )
      .join("\n");
  return "";
}
