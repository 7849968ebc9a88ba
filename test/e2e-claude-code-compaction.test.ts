import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { makeProject, runMallex } from "./helpers/claude-code.js";
import { CLAUDE_CODE_MATRIX } from "./helpers/claude-code-versions.js";

/**
 * The real Claude Code CLI through `mallex run`, against a model server that holds C tokens and refuses
 * a longer prompt as llama-server does, over a session that grows turn by turn (`-p … --continue`) past
 * C: no turn fails with a context error, Claude Code compacts, and not before the prompt mallex sends
 * has passed half of C.
 */
/** Claude Code's compaction request (2.1.197 and 2.1.330 word it so). */
const SUMMARY_REQUEST = /Your task is to create a detailed summary of the conversation so far/;

interface Seen {
  tokens: number;
  summary: boolean;
  refused: boolean;
}

/** Tokens as mallex estimates them (3.5 characters each), of what the server would tokenize. */
const tokensOf = (body: Record<string, unknown>) => Math.ceil(JSON.stringify([body.messages, body.tools ?? []]).length / 3.5);

describe.each(CLAUDE_CODE_MATRIX)("Claude Code %s compacts in time through mallex run", (_name, claudeCode) => {
  let mlx: FakeMlxServer;
  let seen: Seen[] = [];
  let context = 0;
  beforeAll(async () => {
    mlx = await createFakeMlxServer({
      respond: (request) => {
        const body = request.body as Record<string, unknown>;
        if (body.max_tokens === 1) return { text: "ok" };
        const tokens = tokensOf(body);
        const summary = SUMMARY_REQUEST.test(JSON.stringify((body.messages as unknown[]).at(-1)));
        const refused = tokens > context;
        seen.push({ tokens, summary, refused });
        if (refused) {
          return {
            status: 400,
            errorBody: {
              error: {
                code: 400,
                message: `request (${tokens} tokens) exceeds the available context size (${context} tokens), try increasing it`,
                type: "exceed_context_size_error",
                n_prompt_tokens: tokens,
                n_ctx: context,
              },
            },
          };
        }
        return { text: summary ? "<summary>The user sent numbered notes; each was acknowledged.</summary>" : "Noted.", promptTokens: tokens };
      },
    });
  });
  afterAll(() => mlx.close());

  it.each([8192, 32768, 131072])(
    "with a %i-token context",
    async (size) => {
      context = size;
      seen = [];
      const dir = mkdtempSync(join(tmpdir(), "mallex-compact-"));
      const config = join(dir, "mallex.yaml");
      writeFileSync(
        config,
        [
          "include: [mallex]",
          "profiles:",
          "  local:",
          "    backend: mlx",
          "    model: mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit",
          "    size: medium",
          `    context_window: ${size}`,
          `    input_budget: ${size}`,
          "    max_output_tokens: 1024",
          "tiers:",
          "  low: { profile: local }",
          "  medium: { profile: local }",
          "  high: { profile: local }",
          "",
        ].join("\n"),
      );
      const project = makeProject();
      const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
      const claudeHome = mkdtempSync(join(tmpdir(), "mallex-home-"));
      // A sixteenth of the context each turn: past half of it within a few turns.
      const note = "alpha beta gamma delta epsilon zeta eta theta iota kappa "
        .repeat(Math.ceil(((size / 16) * 3.5) / 60))
        .slice(0, Math.floor((size / 16) * 3.5));
      const runTurn = async (turn: number) => {
        const run = await runMallex(
          ["--config", config, "--backend-url", mlx.url, "--", "-p", `Note ${turn}: ${note}`, ...(turn > 1 ? ["--continue"] : []), "--output-format", "json"],
          project,
          home,
          120_000,
          { HOME: claudeHome },
          claudeCode,
        );
        expect(run.exitCode, run.stderr).toBe(0);
        expect(JSON.parse(run.stdout), `turn ${turn}`).toMatchObject({ is_error: false, result: "Noted." });
      };
      let turn = 0;
      while (!seen.some((s) => s.summary) && turn < 40) await runTurn(++turn);
      // The session goes on after the compaction.
      for (const last = turn + 2; turn < last;) await runTurn(++turn);
      const first = seen.findIndex((s) => s.summary);
      expect(first, "Claude Code compacted").toBeGreaterThan(0);
      expect(
        seen.filter((s) => s.refused),
        "no prompt reached the server over its context",
      ).toEqual([]);
      const regular = seen.slice(0, first).map((s) => s.tokens);
      console.log(
        `compaction: Claude Code ${claudeCode.version}, context ${size}: compacted after turn ${regular.length} (last prompt ${regular.at(-1)} tokens), its request ${seen[first]!.tokens} tokens; ${seen.filter((s) => s.summary).length} compaction(s) in ${turn} turns`,
      );
      // Not before the conversation passed half the context: the compaction request carries it whole.
      expect(seen[first]!.tokens).toBeGreaterThan(size / 2);
      const log = readFileSync(join(home, "mallex.log"), "utf8");
      expect(log).not.toMatch(/model_context_window_exceeded|exceeds the available context/);
    },
    900_000,
  );
});
