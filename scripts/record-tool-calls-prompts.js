// The user prompts `npm run record:tool-calls` sends through Claude Code, with what each should lead to:
// a call of one of the named tools, or an answer in text (the user asked to be shown or told, not for
// work, so any call written there is a quote and must not run).

/** @typedef {{ id: string; text: string; expect: { call: string[] } | "text" }} RecordingPrompt */

/** @type {readonly RecordingPrompt[]} */
export const RECORDING_PROMPTS = Object.freeze([
  { id: "write", text: "Create a file named notes.txt containing exactly: remember the milk", expect: { call: ["Write"] } },
  { id: "read", text: "Read the file CLAUDE.md and tell me what it says", expect: { call: ["Read"] } },
  { id: "bash", text: "Run the command `ls -la` and show me its output", expect: { call: ["Bash"] } },
  { id: "edit", text: "In CLAUDE.md, replace the word project with repository", expect: { call: ["Edit", "Read"] } },
  { id: "search", text: "Search this project for the word TODO", expect: { call: ["Grep", "Bash", "Glob"] } },
  { id: "example", text: "Show me an example of what a tool call looks like", expect: "text" },
  { id: "format", text: "Explain the JSON format you use for tool calls", expect: "text" },
  { id: "example-bash", text: "Without running anything, show me the tool call you would make to delete the build folder", expect: "text" },
]);

/**
 * Per prompt: one greedy answer and three sampled at 0.7 with fixed seeds (what a profile with a
 * temperature may get; the 1.5B profile ships 0.2).
 * @type {readonly { name: string; temperature: number; seed?: number }[]}
 */
export const SAMPLES = Object.freeze([
  { name: "greedy", temperature: 0 },
  { name: "t0.7-seed1", temperature: 0.7, seed: 1 },
  { name: "t0.7-seed2", temperature: 0.7, seed: 2 },
  { name: "t0.7-seed3", temperature: 0.7, seed: 3 },
]);
