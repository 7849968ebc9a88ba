/**
 * The real Claude Code CLI through mallex to real instruct models (the model kit: npm run models),
 * on both engines mallex runs: its embedded llama.cpp engine on the GGUFs, and the real
 * mlx_lm.server on the MLX folder converted from one. Sampling is greedy (temperature 0) so each
 * answer is the model's most likely one, the same on every run.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { makeProject, runClaude, runMallex } from "./helpers/claude-code.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { describeWithModelKit, kit } from "./helpers/model-kit.js";

interface ClaudeResult {
  is_error: boolean;
  result: string;
  stop_reason: string;
  usage: { input_tokens: number; cache_read_input_tokens: number; output_tokens: number };
}

/** One local profile every tier uses, greedy: `backend` embedded (a GGUF) or mlx (an MLX folder). */
function kitConfig(backend: "embedded" | "mlx", model: string, extra: string[] = []): string {
  const file = join(mkdtempSync(join(tmpdir(), "mallex-real-")), "mallex.yaml");
  const lines = [
    "include: [mallex]",
    ...(backend === "mlx" ? ["backends:", "  mlx:", "    supervise:", `      venv: ${JSON.stringify(dirname(dirname(kit().python)))}`] : []),
    "profiles:",
    `  kit-model: { backend: ${backend}, model: ${JSON.stringify(model)}, size: small, context_window: 16384, input_budget: 8000, max_output_tokens: 1024, tools: { mode: native }, sampling: { temperature: 0 } }`,
    "tiers:",
    "  low: { profile: kit-model }",
    "  medium: { profile: kit-model }",
    "  high: { profile: kit-model }",
    ...extra,
    "",
  ];
  writeFileSync(file, lines.join("\n"));
  return file;
}

function parseResult(stdout: string): ClaudeResult {
  return JSON.parse(stdout) as ClaudeResult;
}

/** Three `claude -p` turns of one session (`--continue`) against `proxy`: the usage of each. */
async function threeTurns(proxy: MallexProxyProcess): Promise<ClaudeResult[]> {
  const project = makeProject();
  const home = mkdtempSync(join(tmpdir(), "mallex-home-"));
  const turns: ClaudeResult[] = [];
  for (const [index, prompt] of [
    "My name is Ada. Reply with one short sentence.",
    "What is my name? Reply with one short sentence.",
    "Thank you. Reply with one short sentence.",
  ].entries()) {
    const args = ["-p", prompt, "--output-format", "json", ...(index > 0 ? ["--continue"] : [])];
    const result = await runClaude(proxy.url, project, args, undefined, { HOME: home, ENABLE_TOOL_SEARCH: "false" }, 180_000);
    expect(result.exitCode, `turn ${index + 1}: ${result.stderr}\n${result.stdout}`).toBe(0);
    turns.push(parseResult(result.stdout));
  }
  return turns;
}

/**
 * Turns after the first are served from the server's prompt cache: nearly all their prompt was
 * cached. The first turn's conversation is new: only what every session of the profile starts with
 * (the system prompt and the tools, which an earlier session of the same server or the warm-up read)
 * can be cached there, never its own context and question.
 */
function expectLaterTurnsCached(name: string, turns: ClaudeResult[]): void {
  const share = (turn: ClaudeResult) => turn.usage.cache_read_input_tokens / (turn.usage.input_tokens + turn.usage.cache_read_input_tokens);
  console.log(
    `${name}: ${turns.map((t, i) => `turn ${i + 1} ${t.usage.input_tokens + t.usage.cache_read_input_tokens} prompt tokens, ${t.usage.cache_read_input_tokens} cached`).join("; ")}`,
  );
  expect(share(turns[0]!)).toBeLessThan(0.9);
  for (const turn of turns.slice(1)) {
    expect(turn.usage.input_tokens + turn.usage.cache_read_input_tokens).toBeGreaterThan(500);
    expect(share(turn)).toBeGreaterThan(0.9);
  }
}

/** A proxy started with `args()`, and a three-turn session through it whose later turns `server` served from its prompt cache. */
function sessionFromPromptCache(name: string, server: string, args: () => string[], env: Record<string, string> = {}): void {
  describeWithModelKit(name, () => {
    let proxy: MallexProxyProcess;
    beforeAll(async () => {
      proxy = await startProxyProcess(args(), undefined, env);
    }, 300_000);
    afterAll(async () => {
      await proxy?.stop();
    });

    it(`serves the later turns from ${server} prompt cache`, async () => {
      const turns = await threeTurns(proxy);
      expect(turns.map((turn) => turn.is_error)).toEqual([false, false, false]);
      expectLaterTurnsCached(server, turns);
    }, 600_000);
  });
}

describeWithModelKit("Claude Code on real models: the embedded engine", () => {
  it("SmolLM2-135M-Instruct answers a question in its own words, ends its turn itself, and Claude Code exits 0", async () => {
    const config = kitConfig("embedded", kit().chat_gguf);
    const result = await runMallex(
      [
        "--config",
        config,
        "--embedded",
        kit().chat_gguf,
        "--threads",
        "2",
        "--",
        "-p",
        "What is the capital of France? Answer in one word.",
        "--output-format",
        "json",
      ],
      makeProject(),
      mkdtempSync(join(tmpdir(), "mallex-state-")),
      240_000,
    );
    expect(result.exitCode, `${result.stderr}\n${result.stdout}`).toBe(0);
    const output = parseResult(result.stdout);
    expect(output.is_error).toBe(false);
    // A real model stops by itself: no cap or full context ended it, and mallex added no note.
    expect(output.stop_reason).toBe("end_turn");
    expect(output.result).not.toContain("[mallex:");
    expect(output.result).toMatch(/Paris/);
  }, 300_000);

  sessionFromPromptCache("one session of three turns (Qwen2.5-Coder-0.5B-Instruct)", "the engine's", () => [
    "--config",
    kitConfig("embedded", kit().mlx_model_gguf),
    "--embedded",
    kit().mlx_model_gguf,
    "--threads",
    "2",
  ]);
});

describeWithModelKit("Claude Code on real models: a tool round trip with Qwen2.5-Coder-1.5B-Instruct", () => {
  let proxy: MallexProxyProcess;
  beforeAll(async () => {
    const coder = kit().coder_gguf!;
    proxy = await startProxyProcess(["--config", kitConfig("embedded", coder), "--embedded", coder, "--threads", "2"]);
  }, 120_000);
  afterAll(async () => {
    await proxy?.stop();
  });

  it("writes a file with the Write tool Claude Code runs, then reads it back with Read", async () => {
    const project = makeProject();
    const home = mkdtempSync(join(tmpdir(), "mallex-home-"));
    const turn = async (prompt: string, more: string[] = []) => {
      const result = await runClaude(
        proxy.url,
        project,
        ["-p", prompt, "--allowedTools", "Write", "Read", "--output-format", "stream-json", "--verbose", ...more],
        undefined,
        { HOME: home, ENABLE_TOOL_SEARCH: "false" },
        // A guard against a hang, not a speed: on 2 cores beside a CI run and an eval, the answer after the Write outran 300 s.
        600_000,
      );
      expect(result.exitCode, `${result.stderr}\n${result.stdout.slice(-2000)}`).toBe(0);
      const events = result.stdout
        .trim()
        .split("\n")
        .map(
          (line) =>
            JSON.parse(line) as { type: string; message?: { content: { type: string; name?: string; input?: Record<string, unknown> }[] }; result?: string },
        );
      const calls = events
        .filter((e) => e.type === "assistant")
        .flatMap((e) => e.message!.content)
        .filter((c) => c.type === "tool_use");
      // What the tools answered: Claude Code's tool results, as its stream shows them.
      const results = JSON.stringify(events.filter((e) => e.type === "user").flatMap((e) => e.message?.content ?? []));
      return { calls, results, result: events.find((e) => e.type === "result")!.result ?? "" };
    };

    // The 1.5B coder writes its calls as a fenced JSON object: mallex runs it as a real tool_use.
    const written = await turn("Create a file named hello.txt containing exactly: Hello from mallex");
    expect(written.calls.map((c) => c.name)).toContain("Write");
    expect(readFileSync(join(project, "hello.txt"), "utf8").trim()).toBe("Hello from mallex");

    // A new session, so the file's words are not in the conversation: only a Read can bring them.
    const read = await turn("Read hello.txt and tell me what it says.");
    expect(read.calls.map((c) => c.name)).toContain("Read");
    // The Read ran and brought the file's words back. (The model's own last words do not always quote them: in
    // two runs the 1.5B went on to write the file again and repeated the Write's result as its answer.)
    expect(read.results).toContain("Hello from mallex");
  }, 1_300_000);
});

describeWithModelKit("Claude Code on real models: the real mlx_lm.server", () => {
  it("mallex run starts mlx_lm.server on Qwen2.5-Coder-0.5B-Instruct (MLX, converted from its GGUF), which answers; Claude Code exits 0", async () => {
    const result = await runMallex(
      ["--config", kitConfig("mlx", kit().mlx_model), "--", "-p", "What is the capital of France? Answer in one word.", "--output-format", "json"],
      makeProject(),
      mkdtempSync(join(tmpdir(), "mallex-state-")),
      300_000,
      { HF_HUB_OFFLINE: "1" },
    );
    expect(result.exitCode, `${result.stderr}\n${result.stdout}`).toBe(0);
    const output = parseResult(result.stdout);
    expect(output).toMatchObject({ is_error: false, stop_reason: "end_turn" });
    expect(output.result).toMatch(/Paris/);
    // On Linux mallex gives mlx the system's OpenBLAS, and says so (.ci/run installs it).
    expect(result.stderr).toMatch(/preloading the system OpenBLAS|no system OpenBLAS found/);
  }, 360_000);

  sessionFromPromptCache("one session of three turns through mallex proxy", "mlx-lm's", () => ["--config", kitConfig("mlx", kit().mlx_model)], {
    HF_HUB_OFFLINE: "1",
  });
});
