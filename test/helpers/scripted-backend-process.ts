import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";

const SCRIPT = fileURLToPath(new URL("../fakes/scripted-openai-backend.js", import.meta.url));

export type ScenarioStep = { write: string } | { chunk: object } | { done: true } | { mark: string } | { delayMs: number } | { hang: true };

export interface ScriptedBackendProcess {
  readonly port: number;
  /** `http://127.0.0.1:PORT/v1`, for --backend-url. */
  readonly url: string;
  readonly pid: number;
  /** Resolves when the backend reaches `{ mark: label }` (counting marks seen before the call too, once each). */
  mark(label: string, timeoutMs?: number): Promise<void>;
  /** SIGKILL, and wait until the process is gone. */
  kill(): Promise<void>;
}

/** Starts test/fakes/scripted-openai-backend.js as its own process (on `port`, or any free one). */
export async function startScriptedBackend(scenarios: Record<string, ScenarioStep[]>, port = 0): Promise<ScriptedBackendProcess> {
  const file = join(mkdtempSync(join(tmpdir(), "mallex-scenarios-")), "scenarios.json");
  writeFileSync(file, JSON.stringify(scenarios));
  const child: ResultPromise = execa("node", [SCRIPT, "--port", String(port), "--scenarios", file], { reject: false, stdin: "ignore", stderr: "ignore" });
  let output = "";
  const seen: string[] = [];
  const waiters = new Set<() => void>();
  child.stdout!.on("data", (data: Buffer) => {
    output += data.toString();
    for (const match of output.matchAll(/^mark (\S+)$/gm)) seen.push(match[1]!);
    output = output.slice(output.lastIndexOf("\n") + 1);
    for (const wake of waiters) wake();
  });
  const ready = await new Promise<number>((resolve, reject) => {
    let all = "";
    const timer = setTimeout(() => reject(new Error("the scripted backend did not start")), 10_000);
    child.stdout!.on("data", (data: Buffer) => {
      all += data.toString();
      const found = /listening (\d+)/.exec(all);
      if (found) {
        clearTimeout(timer);
        resolve(Number(found[1]));
      }
    });
  });
  return {
    port: ready,
    url: `http://127.0.0.1:${ready}/v1`,
    pid: child.pid!,
    mark(label, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const at = seen.indexOf(label);
          if (at === -1) return;
          seen.splice(at, 1);
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`the scripted backend never reached mark ${label}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async kill() {
      child.kill("SIGKILL");
      await child;
    },
  };
}
