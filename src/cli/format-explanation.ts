import type { Explanation } from "../pipeline/explain-request.js";
import { formatNumber as number, formatRemoved } from "../shared/format-number.js";

const USER_FATES: Readonly<Record<Explanation["user"][number]["fate"], string>> = {
  "system prompt": "kept whole, in the system prompt",
  conversation: "kept whole, in the conversation",
  "named in one line": "named in one line (the tool that runs them is not offered)",
  offered: "offered as a tool",
  "through ToolSearch": "named in the deferred-tool list, loaded through ToolSearch",
  "not placed": "NOT placed: the template lacks {{user_instructions}}",
  "not offered": "NOT reachable: ToolSearch is not offered",
};

/**
 * `mallex explain`'s readable report, one string per line (a client's tool name with a newline in it
 * stays inside its line, for terminalText to escape): rules table, what was kept, sizes, the upstream
 * request.
 * `route`: how the proxy's routing picked the profile, when neither --profile nor --size did;
 * `config`: the files of the config it was explained with (config-layers.ts).
 */
export function formatExplanation(explanation: Explanation, source: string, context: { route?: string; config?: string } = {}): string[] {
  const { route } = context;
  const { backend } = explanation;
  const lines = [
    `mallex explain ${source} · profile ${explanation.profile} (${explanation.size}, ${backend.kind === "anthropic" ? "Anthropic API" : backend.flavor}, ${explanation.tools.mode} tools)`,
  ];
  if (context.config !== undefined) lines.push(context.config);
  if (route !== undefined) lines.push(`Routed as the proxy would: ${route} (--profile or --size explains another profile)`);
  lines.push("");

  if (explanation.rules.length === 0) {
    lines.push("No rule fired.");
  } else {
    // Signed: a rule that adds text (a rendered tools prompt) is a +, not "-1,234 removed".
    const rows = explanation.rules.map((hit) => [hit.rule, hit.target, formatRemoved(hit.charsRemoved)] as const);
    const total = formatRemoved(explanation.rules.reduce((sum, hit) => sum + hit.charsRemoved, 0));
    const widths = [0, 1, 2].map((column) =>
      Math.max(...[["rule", "target", "chars"] as const, ...rows, ["total", "", total] as const].map((row) => row[column]?.length ?? 0)),
    );
    const row = (cells: readonly string[]) =>
      `  ${(cells[0] ?? "").padEnd(widths[0] ?? 0)}  ${(cells[1] ?? "").padEnd(widths[1] ?? 0)}  ${(cells[2] ?? "").padStart(widths[2] ?? 0)}`.trimEnd();
    lines.push(row(["rule", "target", "chars"]));
    for (const cells of rows) lines.push(row(cells));
    lines.push(row(["total", "", total]));
  }
  lines.push("");

  const system = explanation.system;
  lines.push(
    system.mode === "template"
      ? `System prompt: rendered from template ${system.template}, keeping ${system.sections.length > 0 ? system.sections.join(", ") : "no section"}${system.missing === undefined ? "" : ` (found nothing for ${system.missing.join(", ")})`}.`
      : `System prompt: passed through (${system.reason}).`,
  );
  if (explanation.user.length > 0) {
    lines.push("What the user wrote or configured, and what became of it:");
    for (const part of explanation.user) lines.push(`  - ${part.part}${part.chars > 0 ? ` (${number(part.chars)} chars)` : ""}: ${USER_FATES[part.fate]}`);
  }
  const claudeCode = explanation.claudeCode;
  if (claudeCode !== undefined) {
    const who = `Claude Code${claudeCode.version === undefined ? "" : ` ${claudeCode.version}`}${claudeCode.ownLines === "learned" ? " (its own text as learned from its installed CLI)" : ""}`;
    if (claudeCode.unplaced.length === 0) lines.push(`${who}: every part of its request placed by a rule.`);
    else
      lines.push(
        `${who}: ${claudeCode.unplaced.length} part${claudeCode.unplaced.length === 1 ? "" : "s"} no rule placed:`,
        ...claudeCode.unplaced.map((item) => `  - ${item}`),
      );
  }
  const offered = explanation.tools.offered;
  lines.push(`Tools (${explanation.tools.mode} mode): ${offered.length > 0 ? `${offered.length} offered: ${offered.join(", ")}.` : "none offered."}`);
  const client = explanation.tools.client;
  if (client.length > 0) lines.push(`Client tools (not Claude Code's built-ins, kept unless a drop glob names them): ${client.join(", ")}.`);
  const percent = explanation.before.chars === 0 ? 0 : (1 - explanation.after.chars / explanation.before.chars) * 100;
  const width = Math.max(number(explanation.before.chars).length, number(explanation.after.chars).length);
  const tokens = (n: number) => `~${number(n)}`;
  const tokenWidth = Math.max(tokens(explanation.before.tokens).length, tokens(explanation.after.tokens).length);
  lines.push(
    "",
    `Before  ${number(explanation.before.chars).padStart(width)} chars  ${tokens(explanation.before.tokens).padStart(tokenWidth)} tokens  (Claude Code's request)`,
    `After   ${number(explanation.after.chars).padStart(width)} chars  ${tokens(explanation.after.tokens).padStart(tokenWidth)} tokens  (upstream request: ${percent >= 0 ? `${percent.toFixed(1)}% fewer` : `${(-percent).toFixed(1)}% more`} characters)`,
  );
  // The measure of trimming: Claude Code's own text cut, the user's kept text counted apart.
  if (explanation.claudeCode !== undefined) {
    const { claudeCode: own, userChars } = explanation.cut;
    lines.push(`Cut     ${(own * 100).toFixed(1)}% of Claude Code's own text; the user's text kept whole: ${number(userChars)} chars (not counted in the cut)`);
  }
  if (explanation.budgetTokens !== undefined) lines.push(`Budget  ${number(explanation.budgetTokens)} tokens (input_budget of ${explanation.profile})`);
  if (explanation.error !== undefined) lines.push("", `The proxy would refuse this request (HTTP 400): ${explanation.error}`);
  const endpoint = backend.kind === "anthropic" ? "POST /v1/messages" : "POST /v1/chat/completions";
  lines.push("", `Upstream request (${endpoint} on backend ${backend.name}):`, ...JSON.stringify(explanation.upstream, null, 2).split("\n"));
  return lines;
}
