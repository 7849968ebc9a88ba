/**
 * The Claude Code releases mallex's shipped trimming rules (mallex.yaml's filters, keep rules and
 * built-in tool list) were checked against: `oldest` is the pinned devDependency
 * `@anthropic-ai/claude-code`, `newest` the devDependency `claude-code-newest` (a unit test holds
 * both to package.json). Raise `newest`, with that devDependency, after `npm run check:claude-code`
 * passes on a newer release. A request from a release newer than `newest` that trims worse than
 * expected raises the drift alarm (src/observe/claude-code-drift.ts); `mallex doctor` warns when the
 * `claude` it finds is newer.
 */
export const CHECKED_CLAUDE_CODE = { oldest: "2.1.197", newest: "2.1.330" } as const;
