import { createHash } from "node:crypto";
import { createLruMap, type LruMap } from "../../shared/lru-map.js";
import { CLAUDE_CODE_OWN_LINES } from "./claude-code-own-lines.js";
import { linePrint } from "./line-print.js";
import { BUILT_IN_OWN_LINES, type OwnLines } from "./own-lines.js";

/** Claude Code's lists of what its Agent and Skill tools run, by the line that opens each (2.1.100 lists agents in the Agent tool's description). */
export const AGENT_SKILL_LISTS = [
  { header: "Available agent types for the Agent tool:", what: "agents", tool: "Agent" },
  { header: "Available agent types and the tools they have access to:", what: "agents", tool: "Agent" },
  { header: "The following skills are available for use with the Skill tool:", what: "skills", tool: "Skill" },
] as const;

export interface UserListItems {
  /** The line that opens the list. */
  header: string;
  what: "agents" | "skills";
  tool: "Agent" | "Skill";
  /** The user's own items, as Claude Code lists them ("reviewer: Reviews a diff… (Tools: Read, Grep)"). */
  items: string[];
}

/**
 * The user's own agents (`.claude/agents`) and skills (`.claude/skills`, plugins) in Claude Code's
 * lists in `text`: the `- ` items after a list's first line, up to the blank line that ends the list,
 * that no checked release lists, by their line or by their name alone (its built-in agents and skills
 * are learned with its prompt, see scripts/claude-code/learn-own-lines.js; with a small context it
 * lists names without descriptions). An item's description may run on over lines that do not start
 * with `- ` (a description written over lines, a skill's "TRIGGER when:"): they are part of the item,
 * which is the user's text and is taken whole.
 */
export function findUserListItems(text: string, own: ReadonlySet<string> = CLAUDE_CODE_OWN_LINES): UserListItems[] {
  const found: UserListItems[] = [];
  const lines = text.split("\n");
  for (const list of AGENT_SKILL_LISTS) {
    const start = lines.findIndex((line) => line.startsWith(list.header));
    if (start < 0) continue;
    const items: string[] = [];
    let listed = false;
    // The user's item being read, which the lines after it that start no item continue; undefined in Claude Code's own.
    let item: string[] | undefined;
    const close = () => {
      if (item !== undefined) items.push(item.join("\n").trimEnd());
      item = undefined;
    };
    for (const line of lines.slice(start + 1)) {
      if (line.trim() === "") {
        if (listed) break;
        continue;
      }
      if (!line.startsWith("- ")) {
        item?.push(line);
        continue;
      }
      close();
      listed = true;
      const print = linePrint(line);
      const namePrint = linePrint(`- ${itemName(line)}`);
      if (print !== undefined && !own.has(print) && (namePrint === undefined || !own.has(namePrint))) item = [line.slice(2).trim()];
    }
    close();
    if (items.length > 0) found.push({ header: list.header, what: list.what, tool: list.tool, items });
  }
  return found;
}

/**
 * The user's lists found in a unit, remembered by a SHA-256 of its text and the key of the own lines
 * they were told from (a server's, see PrefixCache.userLists; the key holds no text): Claude Code
 * sends its agent and skill lists with every turn, and each item's print is a SHA-256 of its own
 * (~0.3 ms a request for 2.1.197's lists).
 */
export type UserListMemo = LruMap<string, readonly UserListItems[]>;

export function createUserListMemo(): UserListMemo {
  return createLruMap(64);
}

/**
 * findUserListItems with the request's release's own lines, remembered in `memo` when there is one;
 * a text that opens no list is not split at all.
 */
export function findUserListItemsOnce(text: string, memo?: UserListMemo, own: OwnLines = BUILT_IN_OWN_LINES): readonly UserListItems[] {
  if (!AGENT_SKILL_LISTS.some((list) => text.includes(list.header))) return [];
  if (memo === undefined) return findUserListItems(text, own.prints);
  // An item is the user's or Claude Code's by the own lines: learning a release's lines changes what its lists hold.
  const key = `${own.key}\u0000${createHash("sha256").update(text).digest("base64")}`;
  let found = memo.get(key);
  if (found === undefined) {
    found = findUserListItems(text, own.prints);
    memo.set(key, found);
  }
  return found;
}

/** An agent's or skill's name: what its list item says before the first colon. */
export function itemName(line: string): string {
  const colon = line.indexOf(":");
  return (colon === -1 ? line.slice(2) : line.slice(2, colon)).trim();
}

/** How the first line of describeUnreachableItems' paragraph ends, after "The user's own agents and skills". */
export const UNREACHABLE_ITEMS_OPENS = ", which you cannot start (if one fits the task, tell the user):";

/**
 * One paragraph naming the user's agents and skills whose lists went with the tools that run them,
 * so the model can tell the user which one fits. It names no tool: the model is offered neither.
 * Each item goes word for word, its description and an agent's "(Tools: …)" whole: it is the user's
 * text (a description cut at 160 characters lost "…test o…" and the tools the agent has), and
 * mallex's report counts it as kept whole.
 */
export function describeUnreachableItems(lists: readonly Pick<UserListItems, "what" | "items">[]): string {
  const what = lists.map((list) => list.what).join(" and ");
  const items = lists.flatMap((list) => list.items.map((item) => `- ${list.what === "agents" ? "agent" : "skill"} ${item}`));
  return [`The user's own ${what}${UNREACHABLE_ITEMS_OPENS}`, ...items].join("\n");
}

/**
 * A shortened description of the tool that runs them (`tool`), with the user's own agents or skills
 * that its original listed (2.1.100 lists agents in the Agent tool's) and the shortening lost — a stub
 * keeps the first paragraph, a line naming a removed tool goes, "(Tools: …, Bash)" with it — put back
 * word for word under their list's first line: the user's text is kept whole wherever trimming cuts.
 */
export function withUserItems(original: string, shortened: string, tool: string, own: OwnLines = BUILT_IN_OWN_LINES): string {
  const lost = findUserListItemsOnce(original, undefined, own).flatMap((list) =>
    list.tool !== tool ? [] : [{ header: list.header, items: list.items.filter((item) => !shortened.includes(`- ${item}`)) }],
  );
  const missing = lost.filter((list) => list.items.length > 0);
  if (missing.length === 0) return shortened;
  return [shortened.trimEnd(), ...missing.map((list) => [list.header, ...list.items.map((item) => `- ${item}`)].join("\n"))].join("\n\n");
}
