import { splitCommand } from "./server-command.js";

const MODEL_FLAGS = ["--model", "-m", "--hf-repo", "-hf"];
const PYTHON = /(^|\/)python[\d.]*$/;

/**
 * The model a `--server-command` runs, to name it in what mallex prints: its `--model` / `-m`
 * (llama-server's `--hf-repo` / `-hf` too) value, else the command itself. Undefined when the command
 * says `{model}`: then it runs the profile's model. `python -m module` names a module, not a model.
 */
export function modelOfCommand(command: string): string | undefined {
  if (command.includes("{model}")) return undefined;
  let words: string[];
  try {
    words = splitCommand(command);
  } catch {
    return command;
  }
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    const inline = /^(--model|--hf-repo)=(.+)$/.exec(word);
    if (inline) return inline[2];
    const value = words[i + 1];
    const pythonModule = word === "-m" && PYTHON.test(words[i - 1] ?? "");
    if (MODEL_FLAGS.includes(word) && value !== undefined && !pythonModule) return value;
  }
  return command;
}
