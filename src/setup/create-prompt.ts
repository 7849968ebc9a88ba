import { createInterface } from "node:readline/promises";
import { MallexError } from "../shared/mallex-error.js";

/** One question, one answer line. Throws a MallexError when the user cancels (Ctrl-C, Ctrl-D). */
export type Ask = (question: string) => Promise<string>;

export interface Prompt {
  ask: Ask;
  close(): void;
}

/**
 * A terminal prompt over node:readline/promises. readline swallows Ctrl-C unless someone listens for
 * it, so a SIGINT aborts the pending question, and a closed input (Ctrl-D) ends it too.
 */
export function createPrompt(input: NodeJS.ReadableStream, output: NodeJS.WritableStream): Prompt {
  const rl = createInterface({ input, output, terminal: true });
  const controller = new AbortController();
  rl.on("SIGINT", () => controller.abort());
  rl.on("close", () => controller.abort());
  return {
    async ask(question) {
      if (controller.signal.aborted) throw cancelled();
      try {
        return await rl.question(question, { signal: controller.signal });
      } catch (error) {
        if (controller.signal.aborted) throw cancelled(error);
        throw error;
      }
    },
    close: () => rl.close(),
  };
}

function cancelled(cause?: unknown): MallexError {
  return new MallexError("E_USAGE", "\nmallex init cancelled; nothing was written.", { exitCode: 130, cause });
}
