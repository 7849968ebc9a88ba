import { stripVTControlCharacters } from "node:util";
import { defineCommand, runCommand, type ArgsDef, type CommandDef } from "citty";
import { MallexError } from "../shared/mallex-error.js";
import { findPackageRoot, packageVersion } from "../shared/package-root.js";
import { findMissingValue } from "./args/find-missing-value.js";
import { describeUnknownCommand } from "./args/describe-unknown-command.js";
import { findUnknownOption } from "./args/find-unknown-option.js";
import { showUsage, wantsColour } from "./show-usage.js";
import { printErr } from "./terminal-text.js";

const load = (loader: () => Promise<{ default: CommandDef<any> }>) => () => loader().then((m) => m.default);

export const main = defineCommand({
  meta: {
    name: "mallex",
    version: packageVersion(findPackageRoot()),
    description: "Run Claude Code on local models: a compiled, declarative Anthropic API proxy",
  },
  subCommands: {
    compile: load(() => import("./commands/compile.js")),
    proxy: load(() => import("./commands/proxy.js")),
    run: load(() => import("./commands/run.js")),
    server: load(() => import("./commands/server.js")),
    init: load(() => import("./commands/init.js")),
    doctor: load(() => import("./commands/doctor.js")),
    explain: load(() => import("./commands/explain.js")),
    status: load(() => import("./commands/status.js")),
    models: load(() => import("./commands/models.js")),
    engine: load(() => import("./commands/engine.js")),
    eval: load(() => import("./commands/eval.js")),
  },
});

/** The only place that reads process.argv or exits the process. */
export async function runMain(rawArgs: string[] = process.argv.slice(2)): Promise<void> {
  if (rawArgs.length === 0 || (rawArgs.length === 1 && (rawArgs[0] === "--help" || rawArgs[0] === "-h"))) {
    await showUsage(main);
    return;
  }
  if (rawArgs.length === 1 && (rawArgs[0] === "--version" || rawArgs[0] === "-v")) {
    console.log(main.meta && "version" in main.meta ? main.meta.version : "");
    return;
  }
  const [name, ...rest] = rawArgs;
  const subCommands = main.subCommands as Record<string, () => Promise<CommandDef<any>>>;
  const loader = name === undefined ? undefined : subCommands[name];
  if (!loader) {
    // One line, not the whole help above it: the error would scroll out of sight behind the usage.
    printErr(describeUnknownCommand(name ?? "", Object.keys(subCommands)));
    process.exitCode = 2;
    return;
  }
  const command = await loader();
  if (rest.includes("--help") || rest.includes("-h")) {
    // Arguments after `--` belong to Claude Code (mallex run -- --help), not to mallex.
    const own = rest.includes("--") ? rest.slice(0, rest.indexOf("--")) : rest;
    if (own.includes("--help") || own.includes("-h")) {
      await showUsage(command, main);
      return;
    }
  }
  const unknown = findUnknownOption(rest, await resolveArgsDef(command));
  if (unknown) {
    // Under `mallex run` an unknown option is most likely Claude Code's, and those go after `--`.
    const hint = unknown.suggestion
      ? `did you mean ${unknown.suggestion}?`
      : name === "run"
        ? `Claude Code's options go after --: mallex run -- ${unknown.option}`
        : `\`mallex ${name} --help\` lists them`;
    console.error(`mallex: unknown option ${unknown.option} (${hint})`);
    process.exitCode = 2;
    return;
  }
  // citty reads a bare `--embedded` as "", which the command would take for the current folder.
  const missing = findMissingValue(rest, await resolveArgsDef(command));
  if (missing) {
    console.error(`mallex: ${missing.option} needs a value (--${missing.name} <${missing.valueHint ?? "value"}>; \`mallex ${name} --help\` says more)`);
    process.exitCode = 2;
    return;
  }
  try {
    await runCommand(command, { rawArgs: rest });
  } catch (error) {
    process.exitCode = report(error);
  }
}

/** A command's `args`, which citty lets be a value, a promise or a function returning either. */
async function resolveArgsDef(command: CommandDef<any>): Promise<ArgsDef> {
  const args = command.args;
  return (typeof args === "function" ? await args() : await args) ?? {};
}

function report(error: unknown): number {
  if (MallexError.isInstance(error)) {
    // A message may quote what a server or a client said (a model name, an error body).
    for (const line of error.details) printErr(line);
    printErr(error.message);
    return error.exitCode;
  }
  const usage = error instanceof Error && error.name === "CLIError";
  // citty colours the option names in its messages; a log file gets them plain.
  if (usage && !wantsColour(process.stderr, process.env)) error.message = stripVTControlCharacters(error.message);
  // citty's usage message holds only the user's own argv, and may be coloured on purpose.
  if (usage) console.error(`mallex: ${error.message}`);
  else printErr(`mallex: unexpected error (a bug in mallex, please report it): ${error instanceof Error ? error.message : String(error)}`);
  // MALLEX_DEBUG=0 is off, as it is for mallex proxy and mallex run (parse-debug-level.ts).
  if (process.env.MALLEX_DEBUG && process.env.MALLEX_DEBUG !== "0" && error instanceof Error) console.error(error.stack);
  return usage ? 2 : 70;
}
