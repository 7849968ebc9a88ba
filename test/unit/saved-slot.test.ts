import { mkdtempSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LlamaChat, LlamaContextSequence } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { supervisedSpec } from "../../src/backends/supervisor-pool.js";
import { createSequencePool } from "../../src/engine/sequence-pool.js";
import { lastConversationFile, pruneSavedSlots, savedSlotFile } from "../../src/server/saved-slot.js";
import { buildServerArgv } from "../../src/supervisor/server-command.js";
import { compileTree } from "../helpers/config-tree.js";

describe("the servers mallex starts keep their slots in MALLEX_HOME/prompt-cache", () => {
  const compiled = compileTree({
    "mallex.yaml": [
      "backends:",
      '  engine: { kind: openai, flavor: embedded, supervise: { command: "{mallex} engine --model {model} --port {port}" } }',
      '  llama: { kind: openai, flavor: llama-server, supervise: { command: "llama-server -m {model} --port {port}" } }',
      '  own: { kind: openai, flavor: llama-server, supervise: { command: "llama-server -m {model} --port {port} --slot-save-path /srv/slots" } }',
      '  mlx: { kind: openai, flavor: mlx-lm, supervise: { command: "mlx_lm.server --model {model} --port {port}" } }',
      "profiles:",
      "  engine: { backend: engine, model: /m/a.gguf, size: small }",
      "  llama: { backend: llama, model: /m/a.gguf, size: small }",
      "  own: { backend: own, model: /m/a.gguf, size: small }",
      "  mlx: { backend: mlx, model: mlx-community/A, size: small }",
      "tiers:",
      "  medium: { profile: engine }",
      "",
    ].join("\n"),
  });
  const table = compiled.table!;
  const argv = (name: string, options: { serverCommand?: string } = {}) => {
    const spec = supervisedSpec(table.profiles[name]!, table.backends[name]!, options);
    return buildServerArgv(spec.command, { port: 1, model: spec.model, host: "h", mallex: ["mallex"], slotDir: "/home/.mallex/prompt-cache" });
  };

  it("llama-server and the engine get --slot-save-path; mlx_lm.server has none, and a command's own folder or a --server-command is left as written", () => {
    expect(compiled.lines.join("\n")).toBe("");
    expect(argv("engine")).toEqual(["mallex", "engine", "--model", "/m/a.gguf", "--port", "1", "--slot-save-path", "/home/.mallex/prompt-cache"]);
    expect(argv("llama")).toEqual(["llama-server", "-m", "/m/a.gguf", "--port", "1", "--slot-save-path", "/home/.mallex/prompt-cache"]);
    expect(argv("own")).toEqual(["llama-server", "-m", "/m/a.gguf", "--port", "1", "--slot-save-path", "/srv/slots"]);
    expect(argv("mlx")).toEqual(["mlx_lm.server", "--model", "mlx-community/A", "--port", "1"]);
    expect(argv("llama", { serverCommand: "llama-server -m {model} --port {port}" })).toEqual(["llama-server", "-m", "/m/a.gguf", "--port", "1"]);
  });
});

describe("a saved slot's file name", () => {
  const dir = mkdtempSync(join(tmpdir(), "mallex-slot-name-"));
  const model = join(dir, "coder.gguf");
  writeFileSync(model, "weights");
  const request = { model: "m", messages: [{ role: "system" as const, content: "You are a coding assistant." }], max_tokens: 1, stream: false };

  it("is the profile's name and a hash of the server kind, the model file as it is now and the exact request", async () => {
    const name = await savedSlotFile({ name: "gguf-qwen2.5-coder-1.5b", model }, "embedded", request);
    expect(name).toMatch(/^gguf-qwen2_5-coder-1_5b-[0-9a-f]{32}\.bin$/);
    expect(await savedSlotFile({ name: "gguf-qwen2.5-coder-1.5b", model }, "embedded", request)).toBe(name);
    expect(await savedSlotFile({ name: "gguf-qwen2.5-coder-1.5b", model }, "llama-server", request)).not.toBe(name);
    expect(await savedSlotFile({ name: "gguf-qwen2.5-coder-1.5b", model }, "embedded", { ...request, max_tokens: 2 })).not.toBe(name);
    // Another model written to the same path: another file, never the old model's state.
    writeFileSync(model, "other weights");
    expect(await savedSlotFile({ name: "gguf-qwen2.5-coder-1.5b", model }, "embedded", request)).not.toBe(name);
    // A model that is not a file here (an hf: URI, a server's own name) is named by what the profile says.
    expect(await savedSlotFile({ name: "p", model: "hf:Qwen/Coder:Q4_K_M" }, "embedded", request)).toMatch(/^p-[0-9a-f]{32}\.bin$/);
  });

  it("the folder keeps the newest four warm-up slots and the newest last conversation, and nothing else is touched", async () => {
    const slots = mkdtempSync(join(tmpdir(), "mallex-slots-"));
    for (let i = 0; i < 6; i++) {
      for (const name of [`p-${i}.bin`, lastConversationFile(`p-${i}.bin`)]) {
        writeFileSync(join(slots, name), "state");
        utimesSync(join(slots, name), 1_000 + i, 1_000 + i);
      }
    }
    writeFileSync(join(slots, "notes.txt"), "mine");
    await pruneSavedSlots(slots);
    expect(readdirSync(slots).sort()).toEqual(["notes.txt", "p-2.bin", "p-3.bin", "p-4.bin", "p-5.bin", "p-5.last.bin"]);
  });
});

describe("the engine's slots, asked for by number (a save or a restore)", () => {
  const slot = (id: number) => ({
    sequence: { compareContextTokens: () => ({ firstDifferentIndex: 0 }), id } as unknown as LlamaContextSequence,
    chat: {} as LlamaChat,
  });

  it("waits for that slot while it is busy, lets a request take another, and is then granted before later requests", async () => {
    const pool = createSequencePool([slot(0), slot(1)]);
    const signal = new AbortController().signal;
    const busy = await pool.acquire([], signal);
    expect((busy.slot.sequence as unknown as { id: number }).id).toBe(0);
    let granted = false;
    const saving = pool.acquireSlot(0, signal).then((lease) => ((granted = true), lease));
    // Slot 1 is free: a request is not held behind the save.
    const other = await pool.acquire([], signal);
    expect((other.slot.sequence as unknown as { id: number }).id).toBe(1);
    const later = pool.acquire([], signal);
    await Promise.resolve();
    expect(granted).toBe(false);
    busy.release();
    const save = await saving;
    expect((save.slot.sequence as unknown as { id: number }).id).toBe(0);
    save.release();
    expect((await later).slot.sequence).toBe(busy.slot.sequence);
    await expect(pool.acquireSlot(2, signal)).rejects.toThrow("no slot 2: the engine has 2");
  });
});
