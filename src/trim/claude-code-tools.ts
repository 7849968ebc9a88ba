/**
 * The names of Claude Code's built-in tools: the only tools `tools.<size>.allow` and
 * `stub_descriptions` act on. Every other tool — an MCP server's (`mcp__<server>__<tool>`), or the
 * own tools of any other client (Anthropic SDK, Vercel AI SDK, LangChain apps) — is the client's:
 * it reaches the model unless a `drop` glob names it.
 *
 * A fact about the client, so it lives here rather than in mallex.yaml: it changes with Claude Code
 * releases, not with anyone's setup, and a copy in every config would go stale. Unknown names fail
 * open: a built-in a newer Claude Code adds is treated as a client tool (kept, not stubbed) until it
 * is listed here, never dropped unseen; `drop` removes it meanwhile.
 *
 * Sources: the tools of Claude Code 2.1.197's requests (docs/claude-code.md), the tools that
 * version sends only in some modes or platforms, and the names older versions used.
 */
export const CLAUDE_CODE_TOOLS: ReadonlySet<string> = new Set([
  // Sent by Claude Code 2.1.197 on every main request.
  "Agent",
  "Bash",
  "CronCreate",
  "CronDelete",
  "CronList",
  "Edit",
  "EnterWorktree",
  "ExitWorktree",
  "NotebookEdit",
  "Read",
  "ReportFindings",
  "ScheduleWakeup",
  "SendMessage",
  "Skill",
  "TaskCreate",
  "TaskGet",
  "TaskList",
  "TaskOutput",
  "TaskStop",
  "TaskUpdate",
  "WebFetch",
  "WebSearch",
  "Workflow",
  "Write",
  // Sent by that version in some modes, platforms or with MCP servers configured.
  "AskUserQuestion",
  "Brief",
  "EnterPlanMode",
  "ExitPlanMode",
  "ListMcpResourcesTool",
  "LSP",
  "Monitor",
  "PowerShell",
  "PushNotification",
  "ReadMcpResourceTool",
  "RemoteTrigger",
  "REPL",
  "SendUserMessage",
  "StructuredOutput",
  "TodoWrite",
  "ToolSearch",
  // Names of earlier versions.
  "BashOutput",
  "Glob",
  "Grep",
  "KillBash",
  "KillShell",
  "LS",
  "MultiEdit",
  "NotebookRead",
  "SlashCommand",
  "Task",
  "TodoRead",
]);

/** Whether `name` is one of Claude Code's built-in tools (see CLAUDE_CODE_TOOLS); MCP tools never are. */
export function isClaudeCodeTool(name: string): boolean {
  return CLAUDE_CODE_TOOLS.has(name);
}
