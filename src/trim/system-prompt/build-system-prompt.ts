import type { Templates } from "../../templates/load-templates.js";
import type { AnthropicCustomTool, AnthropicTextBlock, MessagesRequest } from "../../translate/anthropic-types.js";
import { joinTextBlocks } from "../../translate/join-text-blocks.js";
import { BILLING_HEADER_PREFIX } from "../apply-block-filters.js";
import { buildSystemTemplateContext } from "./build-template-contexts.js";
import { extractKeptSectionsSteps, type ContextUnit, type KeptSection } from "./extract-kept-sections.js";
import { findClaudeMd, workingDirectoryOf } from "./working-directory.js";
import { OUTPUT_STYLE_HEADING, findUserSystemText, replacedPromptStart } from "../claude-code/find-user-system-text.js";
import { BUILT_IN_OWN_LINES, type OwnLines } from "../claude-code/own-lines.js";
import { rememberedLinePrint, type LinePrintMemo } from "../claude-code/line-print.js";
import { runSteps, type Steps } from "../run-steps.js";
import type { TrimPlan, TrimReport, TrimRuleHit } from "../trim-types.js";

export interface SystemPromptInput {
  /** The request's system prompt as Claude Code sent it: keep rules read this. */
  original: MessagesRequest["system"];
  /** The same after the block filters: what passes through when no template applies. */
  filtered: MessagesRequest["system"];
  /** The tools the model is offered (shaped), for the template's `tools`. */
  tools: readonly AnthropicCustomTool[];
  /** The rendered tools template (xml tool mode), else "". */
  toolsPrompt: string;
  /** One of Claude Code's agents sent the request: its system prompt is always replaced by the size's template. */
  claudeCode?: boolean;
  /** The conversation's opening reminders and system messages (a Claude Code request's), where keep rules look after the system prompt. */
  preamble?: readonly ContextUnit[];
  /** The user's agents a removed tool listed, named in one paragraph (see trimPrefix): it goes with the user's instructions. */
  named?: string;
  /** The lines the request's release writes itself (see PrefixContext.own); default: the built-in ones. */
  own?: OwnLines;
  /** Prints of lines seen before (the prefix cache's); else this call's own. */
  linePrints?: LinePrintMemo;
}

export interface SystemPromptResult {
  system: MessagesRequest["system"];
  hits: TrimRuleHit[];
  report: TrimReport["system"];
  /** What the keep rules found in the preamble: it moves out of its reminder or message into the template. */
  moved: KeptSection[];
}

/**
 * The system prompt for a size. Passthrough (the filtered prompt, plus the tools prompt as a last
 * block in xml mode) when the size's trimming says so or has no template, and, for a request
 * another client sent, when no keep rule finds anything in its system prompt (a title or summary
 * request, another app's own instructions) — replacing such a prompt would lose its instructions.
 * A request of Claude Code's agents always gets the template: whatever its release writes there is
 * Claude's harness, and the facts worth keeping are what the keep rules find, in the system prompt
 * or the conversation's opening reminders and system messages (moved from there into the
 * template). The result depends only on the system prompt, the preamble, the profile and the
 * tools, which do not change within a conversation, so it is the same bytes on every turn.
 */
export function buildSystemPrompt(input: SystemPromptInput, plan: TrimPlan, templates: Templates): SystemPromptResult {
  return runSteps(buildSystemPromptSteps(input, plan, templates));
}

/** buildSystemPrompt as Steps: it pauses between the keep rules' searches (see run-steps.ts). */
export function* buildSystemPromptSteps(input: SystemPromptInput, plan: TrimPlan, templates: Templates): Steps<SystemPromptResult> {
  const { trimming } = plan;
  if (trimming.passthrough || trimming.systemTemplate === undefined) {
    const reason =
      plan.profile.trim === false
        ? `trim: false in profile ${plan.profile.name}`
        : trimming.passthrough
          ? `trimming.${plan.size}.passthrough is set`
          : `trimming.${plan.size} has no system_template`;
    return passthrough(input, reason);
  }
  const originalText = systemText(input.original);
  const claudeCode = input.claudeCode === true;
  if (originalText.trim() === "" && !claudeCode) return passthrough(input, "the request has no system prompt");
  const sections = yield* extractKeptSectionsSteps(originalText, trimming.keep, claudeCode ? (input.preamble ?? []) : []);
  if (sections.length === 0 && trimming.keep.length > 0 && !claudeCode) {
    return passthrough(input, `no keep rule of trimming.${plan.size} matched: not a Claude Code agent's system prompt`);
  }
  // Trimming removes Claude Code's text, never the user's: what is neither Claude Code's own nor placed by a keep rule goes on.
  const own = (input.own ?? BUILT_IN_OWN_LINES).prints;
  const print = rememberedLinePrint(input.linePrints);
  const userText = findUserSystemText(
    originalText,
    sections.filter((s) => s.from === "system").map((s) => s.matched),
    own,
    print,
  );
  const claudeMd =
    claudeCode && trimming.claudeMd === "system_prompt"
      ? findClaudeMd(input.preamble ?? [], trimming.relativePaths === true ? workingDirectoryOf(originalText, input.preamble ?? []) : undefined)
      : [];
  const userPassages = [...userText, ...claudeMd.map((s) => s.text)];
  // The user's prompt in place of Claude Code's (--system-prompt, a custom subagent's) goes where the template's own opening would.
  const start = claudeCode ? replacedPromptStart(input.original, own, print) : undefined;
  const replacement = start !== undefined && userText[0]?.split("\n", 1)[0] === start ? userText[0] : undefined;
  const render = (systemPrompt: string | undefined) => {
    const rest = systemPrompt === undefined ? userPassages : userPassages.slice(1);
    const instructions = [...rest, ...(input.named === undefined ? [] : [input.named])].join("\n\n");
    const sectionTexts = Object.fromEntries(sections.map((s) => [s.id, s.text]));
    const context = buildSystemTemplateContext(plan.profile, sectionTexts, input.tools, input.toolsPrompt, instructions, systemPrompt);
    const stable = templates.render(trimming.systemTemplate!, context).trimEnd();
    const session = trimming.contextTemplate === undefined ? "" : templates.render(trimming.contextTemplate, context).replace(/^\n+/, "").trimEnd();
    return { stable, session };
  };
  let { stable, session } = render(replacement);
  // A template without {{user_system_prompt}} (one written before it) still gets the user's prompt, with their other lines.
  const replaced = replacement !== undefined && stable.includes(replacement);
  if (replacement !== undefined && !replaced) ({ stable, session } = render(undefined));
  const text = session === "" ? stable : `${stable}\n\n${session}`;
  const rest = replaced ? userText.slice(1) : userText;
  // An output style is named as one (Claude Code writes it under "# Output Style: <name>"), the other lines together.
  const styles = rest.filter((passage) => passage.startsWith(OUTPUT_STYLE_HEADING));
  const lines = rest.filter((passage) => !passage.startsWith(OUTPUT_STYLE_HEADING));
  const parts = [
    ...(replaced ? [{ part: "their own system prompt, in place of Claude Code's", chars: replacement.length }] : []),
    ...styles.map((style) => ({ part: `output style ${style.split("\n", 1)[0]!.slice(OUTPUT_STYLE_HEADING.length).trim()}`, chars: style.length })),
    ...(lines.length === 0 ? [] : [{ part: "their own system prompt lines", chars: charsOf(lines) }]),
    ...claudeMd.map((section) => ({ part: claudeMdFiles(section.text), chars: section.text.length })),
  ];
  const user =
    userPassages.length === 0
      ? undefined
      : { passages: userPassages.length, chars: charsOf(userPassages), placed: userPassages.every((passage) => text.includes(passage)), parts };
  const hits: TrimRuleHit[] = sections.filter((s) => s.charsCut > 0).map((s) => ({ rule: s.id, target: "system", charsRemoved: s.charsCut }));
  // The tools prompt is accounted for by the tools-prompt hit, not here.
  const ownChars =
    text.length -
    (input.toolsPrompt !== "" && text.includes(input.toolsPrompt) ? input.toolsPrompt.length : 0) -
    (input.named !== undefined && text.includes(input.named) ? input.named.length : 0);
  hits.push({ rule: "system-template", target: "system", charsRemoved: systemText(input.filtered).length - ownChars });
  const found = new Set(sections.map((s) => s.id));
  const missing = trimming.keep.filter((rule) => !found.has(rule.id)).map((rule) => rule.id);
  return {
    system: session === "" ? [{ type: "text", text }] : sessionAfterStablePrefix(stable, session),
    hits,
    report: {
      mode: "template",
      template: trimming.systemTemplate,
      sections: sections.map((s) => s.id),
      ...(missing.length > 0 ? { missing } : {}),
      ...(user ? { user } : {}),
    },
    moved: [...sections.filter((s) => s.from !== "system"), ...claudeMd],
  };
}

/**
 * The system prompt as two blocks, the first marked as the end of the cacheable prefix the way the
 * Messages API marks it (`cache_control`): what is the same for every session of the profile, then
 * what changes. The translation sends the second as a system message of its own, after the tools
 * the chat template appends to the first (convertSystem), so a new session's prompt starts with
 * the bytes every earlier session's did and the server's prompt cache serves them.
 */
function sessionAfterStablePrefix(stable: string, session: string): AnthropicTextBlock[] {
  return [
    { type: "text", text: stable, cache_control: { type: "ephemeral" } },
    { type: "text", text: session },
  ];
}

function charsOf(passages: readonly string[]): number {
  return passages.reduce((sum, passage) => sum + passage.length, 0);
}

/** The files a moved CLAUDE.md section shows, by their labels ("CLAUDE.md, ~/.claude/CLAUDE.md"). */
function claudeMdFiles(text: string): string {
  const files = [...text.matchAll(/^Contents of (.+):$/gm)].map((match) => match[1]);
  return files.length === 0 ? "CLAUDE.md" : files.join(", ");
}

function passthrough(input: SystemPromptInput, reason: string): SystemPromptResult {
  const result: SystemPromptResult = { system: input.filtered, hits: [], report: { mode: "passthrough", reason }, moved: [] };
  if (input.toolsPrompt === "") return result;
  const tools: AnthropicTextBlock = { type: "text", text: input.toolsPrompt };
  const filtered = input.filtered;
  result.system = filtered === undefined ? [tools] : typeof filtered === "string" ? [{ type: "text", text: filtered }, tools] : [...filtered, tools];
  return result;
}

/** The system prompt as one text, without the billing block (it is never something to keep). */
function systemText(system: MessagesRequest["system"]): string {
  if (system === undefined) return "";
  if (typeof system === "string") return system;
  return joinTextBlocks(system.filter((block) => !block.text.startsWith(BILLING_HEADER_PREFIX)).map((block) => block.text));
}
