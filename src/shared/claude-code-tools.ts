/**
 * The names of Claude Code's built-in tools: the only tools `tools.<size>.allow` and
 * `stub_descriptions` act on. Every other tool — an MCP server's (`mcp__<server>__<tool>`), or the
 * own tools of any other client (Anthropic SDK, Vercel AI SDK, LangChain apps) — is the client's:
 * it reaches the model unless a `drop` glob names it.
 *
 * A fact about the client, so it lives here rather than in mallex.yaml: it changes with Claude Code
 * releases, not with anyone's setup. In a request Claude Code itself sent (recognizeClaudeCode) the
 * list is not needed to tell built-ins apart — every tool there that is not an MCP server's is one —
 * so it only says which built-ins mallex has seen: one it lacks is reported as drift (a new release
 * to check). For other clients it decides, and unknown names fail open (kept as the client's).
 *
 * Sources: the tools of Claude Code 2.1.197's and 2.1.330's requests (with tool search on and off, in
 * `-p` and interactive sessions), the tools those versions send only in some modes or platforms, and
 * the names older versions used.
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
  // New in 2.1.330's requests (DeferredToolPlaceholder stands for the deferred tools, `defer_loading: true`).
  "DeferredToolPlaceholder",
  "ListAgents",
  // Sent by those versions in some modes, platforms or with MCP servers configured (DesignSync: 2.1.197's
  // interactive sessions where non-essential traffic is allowed, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC unset).
  "AskUserQuestion",
  "Brief",
  "DesignSync",
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

/**
 * Whether a tool is one of Claude Code's built-ins: in a request Claude Code sent
 * (recognizeClaudeCode), every tool that is not an MCP server's (`mcp__<server>__<tool>`), so a
 * built-in a new release adds counts too; in another client's, one of CLAUDE_CODE_TOOLS.
 */
export function isBuiltInTool(name: string, sentByClaudeCode: boolean): boolean {
  return sentByClaudeCode ? !name.startsWith("mcp__") : CLAUDE_CODE_TOOLS.has(name);
}
