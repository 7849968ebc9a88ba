import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { startProxyProcess } from "./helpers/mallex-process.js";
import { describeWithShared, sharedPath } from "./helpers/shared-dir.js";
import { sessionFirstRequest, sessionUsage, type SessionUsage } from "./helpers/session-first-request.js";

/**
 * A new session's first request finds the system prompt and tools in the engine's cache: mallex
 * remembers the prefix its sessions start with (MALLEX_HOME/stable-prefixes.json), and gives it to
 * the engine as soon as the engine is ready, before the session's request is served; the prefilled
 * slot is saved (MALLEX_HOME/prompt-cache) and the next start restores it instead of prefilling. As
 * the engine stops, its one slot's session is kept beside it, and read back at the next start instead.
 * Real processes, the real engine on a tiny real GGUF, Claude Code's captured first request.
 */
const RANDOM = sharedPath("models", "llama-2-tiny-random-chatml.gguf");

/** The shape of Claude Code's compaction instructions (recognizeCompaction); test/claude-code-compaction-request.test.ts checks the real CLI's. */
const COMPACTION_INSTRUCTIONS =
  "CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.\n\nYour task is to create a detailed summary of the conversation so far. Wrap it in a <summary> block.";

describeWithShared("the engine's prompt cache warmed when it becomes ready", () => {
  it("a new session's first request reads ≥ 85% of its prompt from the cache, after a restart: prefilled once, then restored", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-warm-"));
    const args = ["--embedded", RANDOM, "--threads", "1", "--ctx-size", "8192"];
    const cachedShare = (usage: SessionUsage) => usage.cache_read_input_tokens / (usage.input_tokens + usage.cache_read_input_tokens);
    // The engine starts on the first request, whose prefix mallex has just remembered: it is prefilled
    // as the warm-up, the request waits for it, and the slot is saved.
    const first = await startProxyProcess(args, home);
    try {
      expect(cachedShare(await sessionUsage(first.url, sessionFirstRequest("a")))).toBeGreaterThanOrEqual(0.85);
      expect(first.output()).toMatch(/prompt cache warmed with the system prompt and tools \(\d+ tokens\)/);
      await expect.poll(() => first.output()).toMatch(/prompt cache saved for the next start \((\d+) tokens, [\d.]+ MB\)/);
      expect(first.output()).toContain(`--slot-save-path ${join(home, "prompt-cache")}`);
    } finally {
      await first.stop();
    }
    expect(existsSync(join(home, "stable-prefixes.json"))).toBe(true);
    // The warm-up's slot, and the session's kept as the engine stopped (it begins with the same prefix).
    expect(first.output()).toMatch(/the last conversation kept for the next start \(\d+ tokens, [\d.]+ MB\)/);
    expect(readdirSync(join(home, "prompt-cache")).filter((name) => name.endsWith(".bin"))).toHaveLength(2);

    // Another session on a new start: the saved slot is read back, nothing is prefilled for it.
    const second = await startProxyProcess(args, home);
    try {
      expect(cachedShare(await sessionUsage(second.url, sessionFirstRequest("b")))).toBeGreaterThanOrEqual(0.85);
      expect(second.output()).toMatch(/prompt cache restored with the last conversation \(\d+ tokens, kept when its server last stopped\)/);
      expect(second.output()).not.toContain("prompt cache warmed");
    } finally {
      await second.stop();
    }
  });

  it("a session continued after a restart reads its whole conversation from the cache, not only the prefix (claude --continue)", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-warm-continue-"));
    const args = ["--embedded", RANDOM, "--threads", "1", "--ctx-size", "8192"];
    const opening = sessionFirstRequest("a");
    const first = await startProxyProcess(args, home);
    let before: SessionUsage;
    try {
      before = await sessionUsage(first.url, opening);
    } finally {
      await first.stop();
    }
    const [, tokens] = /the last conversation kept for the next start \((\d+) tokens/.exec(first.output()) ?? [];
    // What the engine's one slot held: the whole prompt (and what of the answer it decoded).
    expect(Number(tokens)).toBeGreaterThanOrEqual(before.input_tokens + before.cache_read_input_tokens);

    const second = await startProxyProcess(args, home);
    try {
      const request = JSON.parse(opening) as { messages: unknown[]; [key: string]: unknown };
      request.messages.push({ role: "assistant", content: "4" }, { role: "user", content: "And 3+3?" });
      const after = await sessionUsage(second.url, JSON.stringify(request));
      // The whole first prompt from the cache, where a new start used to hold the prefix alone (what it read from the cache then).
      expect(after.cache_read_input_tokens).toBeGreaterThanOrEqual(before.input_tokens + before.cache_read_input_tokens);
      expect(before.input_tokens).toBeGreaterThan(0);
      expect(second.output()).toMatch(new RegExp(`prompt cache restored with the last conversation \\(${tokens} tokens, kept when its server last stopped\\)`));
    } finally {
      await second.stop();
    }
  });

  it("a question sent alone takes the engine's one slot; the saved prefix is read back after it, and the next session finds it; a stop after it keeps no conversation", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-warm-alone-"));
    const config = join(home, "alone.yaml");
    // The profile --embedded routes this model to, with tools.answer_from_files as the small profiles have it.
    writeFileSync(config, "include: [mallex]\nprofiles:\n  qwen3-coder-30b:\n    tools: { restate_questions: true, answer_from_files: true }\n");
    const proxy = await startProxyProcess(["--embedded", RANDOM, "--threads", "1", "--ctx-size", "8192", "--config", config], home);
    let prefix = 0;
    try {
      const session = await sessionUsage(proxy.url, sessionFirstRequest("a"));
      await expect.poll(() => proxy.output()).toMatch(/prompt cache saved for the next start/);
      prefix = session.cache_read_input_tokens;
      expect(prefix).toBeGreaterThan(1000);

      // A question after its Reads: sent alone, with the file and no tools (a prompt that shares little of the prefix).
      const asked = JSON.parse(sessionFirstRequest("a")) as { messages: unknown[]; [key: string]: unknown };
      asked.messages = [
        { role: "user", content: "Which function in this project deletes files from disk? Answer with the function's name only." },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_r", name: "Read", input: { file_path: "/home/dev/tiny-repo/cache.py" } }] },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: "toolu_r", content: "     1\tdef purge_stale(entries):\n     2\t    os.remove(entries)\n" }],
        },
      ];
      await sessionUsage(proxy.url, JSON.stringify(asked));
      await expect.poll(() => proxy.output()).toMatch(/alone, after the files read \(cache\.py\), with no tools/);
      await expect.poll(() => proxy.output()).toMatch(/prompt cache restored with the system prompt and tools \(\d+ tokens, after a question sent alone\)/);

      // The next session reads the whole prefix from the cache again, not only what the question alone shared.
      const next = await sessionUsage(proxy.url, sessionFirstRequest("b"));
      expect(next.cache_read_input_tokens).toBeGreaterThanOrEqual(prefix);
      // The question again, last: the slot holds no session as the engine stops.
      await sessionUsage(proxy.url, JSON.stringify(asked));
      await expect.poll(() => proxy.output().split("after a question sent alone").length).toBe(3);
    } finally {
      await proxy.stop();
    }
    // Nothing kept: the next start reads the warm-up's prefix back, which the next session finds.
    expect(proxy.output()).not.toContain("the last conversation kept");
    const again = await startProxyProcess(["--embedded", RANDOM, "--threads", "1", "--ctx-size", "8192", "--config", config], home);
    try {
      expect((await sessionUsage(again.url, sessionFirstRequest("b"))).cache_read_input_tokens).toBeGreaterThanOrEqual(prefix);
      expect(again.output()).toMatch(/prompt cache restored with the system prompt and tools \(\d+ tokens, saved at an earlier start\)/);
    } finally {
      await again.stop();
    }
  });

  it("a compaction mallex rewrote takes the slot while Claude Code asks to go on with its cut summary; once the summary is whole, the slot gets the prefix back for the session's next request", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-warm-compaction-"));
    const proxy = await startProxyProcess(["--embedded", RANDOM, "--threads", "1", "--ctx-size", "4096"], home);
    try {
      const session = await sessionUsage(proxy.url, sessionFirstRequest("a"));
      await expect.poll(() => proxy.output()).toMatch(/prompt cache saved for the next start/);
      const prefix = session.cache_read_input_tokens;
      expect(prefix).toBeGreaterThan(300);

      // The session outgrew the 4 K context: its compaction is rewritten as a transcript under mallex's own system prompt, no tools.
      const first = JSON.parse(sessionFirstRequest("a")) as { messages: unknown[]; [key: string]: unknown };
      const compaction = (stop: Record<string, unknown>) =>
        JSON.stringify({
          ...first,
          ...stop,
          messages: [
            ...first.messages,
            { role: "assistant", content: "4. ".repeat(3000) },
            { role: "user", content: [{ type: "text", text: COMPACTION_INSTRUCTIONS }] },
          ],
        });
      // Cut at its max_tokens: Claude Code asks to go on, and that request reads this prompt from the cache. The slot stays the compaction's.
      await sessionUsage(proxy.url, compaction({ max_tokens: 4 }));
      await expect.poll(() => proxy.output()).toMatch(/compaction −[\d,]+.*stop max_tokens/);
      // Whole (the random model's answer ends at a stop sequence, as a summary ends on its own): the slot gets the prefix back.
      await sessionUsage(proxy.url, compaction({ max_tokens: 64, stop_sequences: ["e", "a", "o", "i", " "] }));
      await expect.poll(() => proxy.output()).toMatch(/prompt cache restored with the system prompt and tools \(\d+ tokens, after a compaction's summary\)/);
      // Once, and after the whole one: not after the cut one.
      const output = proxy.output();
      expect(output.split("after a compaction's summary").length).toBe(2);
      expect(output.indexOf("after a compaction's summary")).toBeGreaterThan(output.search(/compaction −[\d,]+.*stop stop_sequence/));
      // No prefix saved yet (`mallex run` starts its server before any session, and each later start
      // reads the last conversation back): prefilled once, and saved for the next time.
      for (const file of readdirSync(join(home, "prompt-cache"))) rmSync(join(home, "prompt-cache", file));
      await sessionUsage(proxy.url, compaction({ max_tokens: 64, stop_sequences: ["e", "a", "o", "i", " "] }));
      await expect.poll(() => proxy.output()).toMatch(/prompt cache warmed with the system prompt and tools \(\d+ tokens, after a compaction's summary\)/);
      await expect.poll(() => proxy.output().split("prompt cache saved for the next start").length).toBe(3);
      // Cut again on Claude Code's last request to go on (it asks 3 times at most): nothing follows it, the slot gets the prefix back.
      const goOn = { role: "user", content: "Output token limit hit. Resume directly — no apology, no recap of what you were doing." };
      const piece = { role: "assistant", content: "<summary>The user asked what 2+2 is" };
      const asked = JSON.parse(compaction({ max_tokens: 4 })) as { messages: unknown[] };
      await sessionUsage(proxy.url, JSON.stringify({ ...asked, messages: [...asked.messages, piece, goOn, piece, goOn, piece, goOn] }));
      await expect.poll(() => proxy.output().split("after a compaction's summary").length).toBe(4);

      // The session's next request (the summary after the same system prompt and tools) reads the prefix from the cache.
      const next = await sessionUsage(proxy.url, sessionFirstRequest("a"));
      expect(next.cache_read_input_tokens).toBeGreaterThanOrEqual(prefix);
    } finally {
      await proxy.stop();
    }
  });
});
