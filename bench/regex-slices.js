// `node bench/regex-slices.js` (after `npm run build`): the longest uninterrupted piece of work trimming
// can hold the event loop for between two pauses (src/trim/run-steps.ts): one regex over one text of
// at most 64 KiB (a filter's test, and its replace where it has one; a keep rule's search; an intent's
// test over the prompt's first 64 KiB). For every regex mallex.yaml ships and a catastrophic team rule,
// over 64 KiB adversarial inputs (bench/regex-engines.js's, and git-status-like lines), the worst of 3
// runs, as CPU time (process.cpuUsage: what a quiet core takes) and wall time (what this machine took).
import { compileLinearRegex } from "#dist/linear-regex/compile-linear-regex.js";
import { FILTER_MAX_UNIT_CHARS } from "#dist/trim/run-filters.js";
import { adversarialInputs, shippedPatterns } from "./regex-engines.js";
import { ms } from "./stats.js";

/** @type {import("./regex-engines.js").ShippedPattern} */
const TEAM_RULE = { id: "filter team-catastrophic (team rule)", source: "(\\w+\\s?)+ZZZQQQ", flags: "" };

export function benchRegexSlices({ runs = 3 } = {}) {
  const rows = [];
  for (const pattern of [...shippedPatterns(), TEAM_RULE]) {
    const re = compileLinearRegex(pattern.source, pattern.flags);
    const keep = pattern.id.startsWith("keep ");
    const inputs = [
      ...adversarialInputs(pattern, FILTER_MAX_UNIT_CHARS),
      ["git-status-like lines", "Current branch: x\nA: b\n".repeat(FILTER_MAX_UNIT_CHARS / 22).slice(0, FILTER_MAX_UNIT_CHARS)],
    ];
    let worst = { cpu: 0, wall: 0, input: "" };
    for (const [input, text] of inputs) {
      for (let run = 0; run < runs; run++) {
        const started = performance.now();
        const cpuBefore = process.cpuUsage();
        if (keep) re.exec(text);
        else if (re.test(text) && pattern.replacement !== undefined) re.replace(text, pattern.replacement);
        const cpu = process.cpuUsage(cpuBefore);
        const took = { cpu: (cpu.user + cpu.system) / 1000, wall: performance.now() - started, input };
        if (took.cpu > worst.cpu) worst = took;
      }
    }
    rows.push({ id: pattern.id, ...worst });
  }
  rows.sort((a, b) => b.cpu - a.cpu);
  return [
    "| regex | worst input (64 KiB) | CPU | wall |",
    "|---|---|---|---|",
    ...rows.map((row) => `| ${row.id} | ${row.input} | ${ms(row.cpu)} | ${ms(row.wall)} |`),
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(benchRegexSlices());
