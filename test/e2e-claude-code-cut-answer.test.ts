import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer, type FakeRequestRecord, type FakeScript } from "./fakes/mlx-lm-server.js";
import { makeProject, runMallex } from "./helpers/claude-code.js";
import { CLAUDE_CODE_MATRIX, OLDER_CLAUDE_CODE, type ClaudeCodeVersion } from "./helpers/claude-code-versions.js";

/**
 * The real Claude Code CLI — 2.1.100 (older), 2.1.197 (pinned), 2.1.332 (newest) — through `mallex
 * run` on the fake mlx-lm.server, with answers mallex's own cap cuts (issue 49): they end `max_tokens`,
 * never `end_turn`, and Claude Code does with them what it does with the API's. Each release asks to go
 * on ("Output token limit hit. Resume directly…") up to 3 times with the same max_tokens (none asks for
 * a larger one: mallex would cap it again), then ends the turn with its own error; a tool call cut off
 * is never run, and the model is asked again. In a small context the same holds for Claude Code's
 * compaction: a summary the cap cut is continued, and mallex fits that continuation as it fits the
 * compaction itself.
 */
type Message = { role: string; content: unknown };
const messagesOf = (request: FakeRequestRecord) => (request.body as { messages: Message[] }).messages;
const textOf = (message: Message | undefined) =>
  message === undefined ? "" : typeof message.content === "string" ? message.content : JSON.stringify(message.content);
const maxTokensOf = (request: FakeRequestRecord) => (request.body as { max_tokens: number }).max_tokens;
/** What every release sends after an answer that ended max_tokens (2.1.332 words its later ones otherwise, "…hit again…"). */
const GO_ON = /^Output token limit hit\b/;
const asksToGoOn = (request: FakeRequestRecord) => GO_ON.test(textOf(messagesOf(request).at(-1)));

/** Far more than any cap here: the fake cuts it at max_tokens, finish "length", as mlx-lm does. */
// Long, and no loop: every sentence differs (an answer that repeats itself is stopped as a loop, not cut at max_tokens).
const STORY = Array.from({ length: 800 }, (_, i) => `Once upon a time there was fox number ${i} who lived in a wood. `).join("");

let mlx: FakeMlxServer;
let respond: (request: FakeRequestRecord) => FakeScript | undefined = () => undefined;
beforeAll(async () => {
  mlx = await createFakeMlxServer({ respond: (request) => respond(request) });
});
afterAll(() => mlx?.close());

/** A profile on the fake server with `lines` of its own (a context_window, a max_output_tokens). */
function configWith(lines: string[]): string {
  const config = join(mkdtempSync(join(tmpdir(), "mallex-cut-")), "mallex.yaml");
  writeFileSync(
    config,
    [
      "include: [mallex]",
      "profiles:",
      "  local:",
      "    backend: mlx",
      "    model: mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit",
      "    size: medium",
      ...lines.map((line) => `    ${line}`),
      "tiers:",
      "  low: { profile: local }",
      "  medium: { profile: local }",
      "  high: { profile: local }",
      "",
    ].join("\n"),
  );
  return config;
}

/** One Claude Code session in `project`: each call a `claude -p` turn through `mallex run`, the generations it caused, and mallex's log. */
function session(claudeCode: ClaudeCodeVersion, config: string, project = makeProject()) {
  const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
  const claudeHome = mkdtempSync(join(tmpdir(), "mallex-home-"));
  return {
    project,
    home,
    log: () => (existsSync(join(home, "mallex.log")) ? readFileSync(join(home, "mallex.log"), "utf8") : ""),
    async turn(prompt: string, args: string[] = []) {
      const start = mlx.requests.length;
      const run = await runMallex(
        ["--config", config, "--backend-url", mlx.url, "--", "-p", prompt, ...args, "--output-format", "json"],
        project,
        home,
        120_000,
        { HOME: claudeHome },
        claudeCode,
      );
      const result = (run.stdout === "" ? {} : JSON.parse(run.stdout)) as { is_error?: boolean; result?: string };
      return { run, result, generations: mlx.requests.slice(start).filter((request) => request.method === "POST") };
    },
  };
}

const MATRIX = [[`${OLDER_CLAUDE_CODE.version} (older)`, OLDER_CLAUDE_CODE] as const, ...CLAUDE_CODE_MATRIX];

describe.each(MATRIX)("Claude Code %s, an answer mallex's max_output_tokens cuts (max_tokens)", (_name, claudeCode) => {
  const config = configWith(["context_window: 65536", "max_output_tokens: 64"]);

  it("asks to go on with the same max_tokens, and the model's next answer ends the turn", async () => {
    respond = (request) => (asksToGoOn(request) ? { text: "The end." } : { text: STORY });
    const { run, result, generations } = await session(claudeCode, config).turn("write a very long story");
    expect(run.exitCode, run.stderr).toBe(0);
    expect(result).toMatchObject({ is_error: false, result: "The end." });
    expect(generations.map(asksToGoOn)).toEqual([false, true]);
    expect(generations.map(maxTokensOf)).toEqual([64, 64]);
    // The cut answer, carried back, says where the cap is.
    expect(JSON.stringify(messagesOf(generations[1]!))).toContain(
      "[mallex: the answer was cut at 64 tokens, the local model's output limit (max_output_tokens",
    );
  }, 120_000);

  it("a model that never stops: three requests to go on, then Claude Code's own error ends the turn, and the session goes on", async () => {
    respond = () => ({ text: STORY });
    const story = session(claudeCode, config);
    const cut = await story.turn("write a very long story");
    // 1 + 3, each under the same cap: the loop ends where Claude Code ends it.
    expect(cut.generations.map(asksToGoOn)).toEqual([false, true, true, true]);
    expect(cut.generations.map(maxTokensOf)).toEqual([64, 64, 64, 64]);
    expect(cut.result).toMatchObject({ is_error: true, result: expect.stringMatching(/^API Error: Claude's response exceeded the \d+ output token maximum/) });
    expect(cut.run.exitCode).toBe(1);
    expect(story.log().match(/ · cut at 64 tokens by max_output_tokens of profile local .* · stop max_tokens · /g)).toHaveLength(4);
    expect(story.log()).not.toMatch(/stop end_turn/);
    // Claude Code's last request carries the three cut answers before it, each with mallex's note (the saved last request).
    const sent = JSON.parse(readFileSync(join(story.home, "last-request", "request.json"), "utf8")) as { body: { messages: Message[] } };
    const answers = sent.body.messages
      .filter((message) => message.role === "assistant")
      .map((message) =>
        typeof message.content === "string" ? message.content : (message.content as Array<{ text?: string }>).map((block) => block.text ?? "").join(""),
      );
    expect(answers).toHaveLength(3);
    for (const answer of answers)
      expect(answer).toMatch(
        /^Once upon a time.*\[mallex: the answer was cut at 64 tokens, the local model's output limit \(max_output_tokens of profile local /s,
      );

    respond = () => ({ text: "Four." });
    // 2.1.100 starts a session of its own here (-p --continue did not find the earlier one): the next turn works either way.
    const next = await story.turn("what is 2+2", ["--continue"]);
    expect(next.run.exitCode, next.run.stderr).toBe(0);
    expect(next.result).toMatchObject({ is_error: false, result: "Four." });
  }, 120_000);

  it("a Write call the cap cut off is not run: asked to go on, the model makes it in a smaller call, which runs", async () => {
    const project = makeProject();
    const target = join(project, "story.txt");
    respond = (request) =>
      messagesOf(request).at(-1)?.role === "tool"
        ? { text: "Wrote story.txt." }
        : asksToGoOn(request)
          ? { toolCalls: [{ name: "Write", arguments: { file_path: target, content: "A short story.\n" } }] }
          : { text: "Writing it.", toolCalls: [{ name: "Write", arguments: { file_path: target, content: STORY } }] };
    const { run, result, generations } = await session(claudeCode, config, project).turn("write a long story to story.txt", ["--allowedTools", "Write"]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(result).toMatchObject({ is_error: false, result: "Wrote story.txt." });
    expect(generations).toHaveLength(3);
    expect(asksToGoOn(generations[1]!)).toBe(true);
    expect(readFileSync(target, "utf8")).toBe("A short story.\n");
  }, 120_000);
});

describe.each(CLAUDE_CODE_MATRIX)("Claude Code %s in a 4,096-token context, answers the small context's cap cuts", (_name, claudeCode) => {
  it("a summary cut at the cap is continued at Claude Code's request, which mallex fits like the compaction itself: the compaction completes and the session goes on", async () => {
    const config = configWith(["context_window: 4096"]);
    const ending = "and each note was acknowledged.</summary>";
    respond = (request) => {
      const sent = JSON.stringify(messagesOf(request));
      const summary = /create a detailed summary of the conversation/.test(sent);
      if (summary)
        return asksToGoOn(request)
          ? { text: ending }
          : { text: `<summary>The user sent numbered notes: ${Array.from({ length: 200 }, (_, i) => `note ${i}: alpha beta gamma delta. `).join("")}` };
      return { text: "Noted." };
    };
    const story = session(claudeCode, config);
    const note = "epsilon zeta eta theta iota kappa lambda mu ".repeat(24);
    const start = mlx.requests.length;
    const sent = () =>
      mlx.requests
        .slice(start)
        .filter((request) => request.method === "POST")
        .map((request) => JSON.stringify(messagesOf(request)));
    const compacted = () => sent().some((body) => body.includes("This session is being continued from a previous conversation"));
    let turn = 0;
    while (!compacted() && turn < 12) {
      turn++;
      const { run, result } = await story.turn(`Note ${turn}: ${note}`, turn > 1 ? ["--continue"] : []);
      expect(run.exitCode, `turn ${turn}: ${run.stdout.slice(0, 400)}\n${run.stderr}`).toBe(0);
      expect(result.is_error, `turn ${turn}`).toBe(false);
    }
    const generations = mlx.requests.slice(start).filter((request) => request.method === "POST");
    const continuations = generations.filter(
      (request) => asksToGoOn(request) && /create a detailed summary of the conversation/.test(JSON.stringify(messagesOf(request))),
    );
    // The summary was cut (max_tokens, the note naming the context), Claude Code asked to go on, and mallex let that request through:
    // fitted like the compaction, the cut summary as one piece kept to its tail, without mallex's note (the request to go on says it).
    expect(continuations.length, "Claude Code asked to go on with the cut summary").toBeGreaterThan(0);
    expect(JSON.stringify(messagesOf(continuations[0]!))).toContain("alpha beta gamma delta.");
    expect(JSON.stringify(messagesOf(continuations[0]!))).not.toContain("[mallex: the answer was cut");
    // The log says why the summary was cut: its cap is held under Claude Code's compaction point, not only the context.
    expect(story.log()).toMatch(
      / · cut at \d+ tokens to keep Claude Code's compaction summary under its compaction point in the 4096-token context · stop max_tokens · /,
    );
    expect(story.log(), "no request refused as too long").not.toMatch(/refused: prompt is too long/);
    expect(compacted(), "Claude Code took the compaction: its next request carries the summary").toBe(true);
    expect(sent().find((body) => body.includes("This session is being continued"))).toContain("The user sent numbered notes");
    const { run, result } = await story.turn("Note last: thanks", ["--continue"]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(result).toMatchObject({ is_error: false, result: "Noted." });
  }, 600_000);

  it("a model that never stops: Claude Code asks to go on 3 times, each request the size of the first, then ends the turn with its own error; nothing reached the server past its context", async () => {
    respond = () => ({ text: STORY });
    const story = session(claudeCode, configWith(["context_window: 4096"]));
    const { run, result, generations } = await story.turn("Turn 1: list three facts about the number 1.");
    expect(run.exitCode).toBe(1);
    // Claude Code's own error for an answer cut 4 times over: not its compaction breaker ("Autocompact is thrashing"), nor "Prompt is too long".
    expect(result).toMatchObject({ is_error: true, result: expect.stringMatching(/^API Error: Claude's response exceeded the \d+ output token maximum/) });
    // Its compactions between them (the fake counts tokens as a word splitter does, so every request here is past Claude Code's
    // compaction point) are fitted, and bounded: no loop.
    const summaries = (generation: FakeRequestRecord) => /create a detailed summary of/.test(JSON.stringify(messagesOf(generation)));
    const answers = generations.filter((generation) => !summaries(generation));
    expect(answers.map(asksToGoOn)).toEqual([false, true, true, true]);
    expect(generations.length).toBeLessThan(60);
    // Each request to go on carries the cut answer's tail (a sixteenth of the context), not every piece before it.
    const [first, ...goOns] = answers.map((generation) => generation.prompt!.tokens);
    for (const size of goOns) expect(size).toBeLessThan(first! + 4096 / 16 + 100);
    for (const generation of generations) expect(generation.prompt!.tokens + maxTokensOf(generation)).toBeLessThanOrEqual(4096);
    expect(story.log()).toMatch(/ · cut at \d+ tokens to leave room for the next request in the 4096-token context · stop max_tokens · /);
    expect(story.log()).toMatch(
      / · compaction −[\d,]+ [^\n]* · cut at \d+ tokens to keep Claude Code's compaction summary under its compaction point in the 4096-token context · stop max_tokens · /,
    );
    expect(story.log()).toMatch(/ · rules: [^\n]*continuation −[\d,]+/);
    // Each compaction known as one and fitted, 2.1.332's that follows a cut answer too (its request to go on in the same turn).
    expect(story.log()).not.toMatch(/refused: prompt is too long/);
    expect(story.log()).not.toMatch(/stop end_turn/);
  }, 300_000);
});
