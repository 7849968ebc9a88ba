/**
 * The Claude Code releases mallex's shipped trimming rules (mallex.yaml's filters, keep rules, the
 * built-in tool list and the learned lines of claude-code-own-lines.ts) were checked against:
 * `oldest` is the devDependency `claude-code-older`, `newest` the devDependency `claude-code-newest`,
 * and the pinned `@anthropic-ai/claude-code` lies between (a unit test holds them to package.json).
 * Raise `newest`, with that devDependency, after `npm run check:claude-code` passes on a newer release
 * and `npm run learn:claude-code` has learned it. A request from a release newer than `newest` that
 * trims worse than expected raises the drift alarm (src/observe/claude-code-drift.ts); `mallex doctor`
 * warns when the `claude` it finds is outside the range.
 */
export const CHECKED_CLAUDE_CODE = { oldest: "2.1.100", newest: "2.1.332" } as const;
