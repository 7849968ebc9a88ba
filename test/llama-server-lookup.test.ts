/**
 * llama-server's n-gram lookup on the real llama-server (scripts/build-llama-server.sh) and a real
 * model (the kit's Qwen2.5-Coder-0.5B GGUF): mallex asks the server's --help, adds `--spec-type
 * ngram-simple`, the server drafts from the prompt, and a kept server started that way is adopted.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, expect, it } from "vitest";
import { createSupervisor } from "../src/supervisor/create-supervisor.js";
import type { SupervisedServerSpec, SupervisorEvent } from "../src/supervisor/types.js";
import { describeWithModelKit, kit } from "./helpers/model-kit.js";
import { createProcessCleanup } from "./helpers/process-cleanup.js";

const LLAMA_SERVER = fileURLToPath(new URL("../.cache/llama.cpp/build/bin/llama-server", import.meta.url));
const built = existsSync(LLAMA_SERVER);
if (!built && process.env.CI) throw new Error(`${LLAMA_SERVER} is missing: .ci/run must run scripts/build-llama-server.sh first`);

const processes = createProcessCleanup("mallex-lookup-");
afterEach(() => processes.cleanup());

function start(command: string, home = processes.home()) {
  const events: SupervisorEvent[] = [];
  const spec: SupervisedServerSpec = {
    key: "llama--coder",
    command,
    model: kit().mlx_model_gguf!,
    flavor: "llama-server",
    install: [],
    readiness: { probe: "health", timeoutMs: 120_000 },
    idleUnloadMs: 0,
    wedgeTimeoutMs: 0,
    maxRestarts: 0,
    restartWindowMs: 60_000,
  };
  const supervisor = createSupervisor(spec, { mallexHome: home, stopTimeoutMs: 5000, heartbeatMs: 60_000, onEvent: (event) => events.push(event) });
  processes.supervisors.push(supervisor);
  const startingCommand = () => (events.find((e) => e.type === "starting") as Extract<SupervisorEvent, { type: "starting" }> | undefined)?.command;
  return { supervisor, events, home, startingCommand };
}

const COMMAND = `'${LLAMA_SERVER}' -m {model} --host 127.0.0.1 --port {port} --jinja -c 2048 -np 1 -t 2`;
// A file to be written back whole: what follows each line in the answer already stands in the prompt.
const FILE = Array.from({ length: 12 }, (_, i) => `def step_${i}(value):\n    return value * ${i + 2} + ${i}\n`).join("\n");

describeWithModelKit("llama-server's n-gram lookup, as mallex starts llama-server", () => {
  it.skipIf(!built)(
    "adds --spec-type ngram-simple where the server's --help offers it; the server then drafts from the prompt",
    async () => {
      const h = start(COMMAND);
      const baseUrl = await h.supervisor.ensureReady();
      expect(h.startingCommand()).toMatch(/ -t 2 --spec-type ngram-simple$/);
      const response = await fetch(`${baseUrl}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          messages: [{ role: "user", content: `Write this file back exactly as it is, in a python code block:\n\n${FILE}` }],
          max_tokens: 96,
          temperature: 0,
        }),
      });
      const answer = (await response.json()) as { choices: Array<{ message: { content: string } }>; timings?: { draft_n?: number; draft_n_accepted?: number } };
      expect(answer.choices[0]!.message.content).toContain("def step_0(value):");
      // llama-server's own count: tokens its lookup drafted, and those the model kept.
      expect(answer.timings?.draft_n).toBeGreaterThan(0);
      expect(answer.timings?.draft_n_accepted).toBeGreaterThan(0);
    },
    180_000,
  );

  it.skipIf(!built)(
    "leaves a command that chose its speculation as written, and adopts a kept server that mallex started with the lookup",
    async () => {
      const none = start(`${COMMAND} --spec-type none`);
      await none.supervisor.ensureReady();
      expect(none.startingCommand()).toMatch(/ -t 2 --spec-type none$/);
      await none.supervisor.stop();

      const first = start(COMMAND);
      const baseUrl = await first.supervisor.ensureReady();
      const pid = first.supervisor.pid!;
      expect(first.supervisor.keep()).toMatchObject({ pid, baseUrl });
      processes.pids.add(pid);
      const second = start(COMMAND, first.home);
      expect(await second.supervisor.ensureReady()).toBe(baseUrl);
      expect(second.supervisor.pid).toBe(pid);
      expect(second.events.find((e) => e.type === "ready")).toMatchObject({ reused: true });
    },
    240_000,
  );
});
