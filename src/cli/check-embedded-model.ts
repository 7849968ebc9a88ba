import { homedir } from "node:os";
import { join, resolve } from "node:path";
import type { RoutingTable } from "../compile/routing-table.js";
import { profilesInUse } from "../doctor/profiles-in-use.js";
import { checkGgufFile } from "../engine/check-gguf-file.js";
import { parseModelSource } from "../engine/parse-model-source.js";
import { MallexError } from "../shared/mallex-error.js";
import { inConfigFile } from "../shared/in-config-file.js";

/**
 * `--embedded SOURCE` checked before anything starts: the engine starts on the first request (or
 * when `mallex run` starts the default tier), and a missing or foreign file would first show up
 * there, after a memory estimate from the profile instead of the file. An `hf:` URI or URL is only
 * parsed here: whether it downloads is for the engine to find out (doctor checks the Hub).
 */
export async function checkEmbeddedModel(source: string, env: Readonly<Record<string, string | undefined>>): Promise<void> {
  const parsed = parseModelSource(source.trim(), env.HF_ENDPOINT ?? "https://huggingface.co");
  if (parsed.kind !== "local") return;
  try {
    // The path the engine is given (withEmbeddedModel makes it absolute the same way).
    await checkGgufFile(resolve(parsed.path));
  } catch (error) {
    if (!MallexError.isInstance(error)) throw error;
    throw new MallexError(error.code, `mallex: --embedded: ${error.message}`, { exitCode: 2, cause: error });
  }
}

/**
 * Every embedded profile a request can reach whose model is a local path, checked the same way
 * before its engine is sized or started: a config's missing file fails at start with its profile's
 * name. The path as the engine resolves it (resolve-model-source.ts): `~/` expanded, relative to
 * the working directory the engine inherits.
 */
export async function checkEmbeddedProfiles(table: RoutingTable, env: Readonly<Record<string, string | undefined>>): Promise<void> {
  for (const { profile, backend } of profilesInUse(table)) {
    if (backend.flavor !== "embedded") continue;
    const parsed = parseModelSource(profile.model.trim(), env.HF_ENDPOINT ?? "https://huggingface.co");
    if (parsed.kind !== "local") continue;
    try {
      await checkGgufFile(resolve(parsed.path.startsWith("~/") ? join(homedir(), parsed.path.slice(2)) : parsed.path));
    } catch (error) {
      if (!MallexError.isInstance(error)) throw error;
      throw new MallexError(error.code, `mallex: profile ${profile.name} ${inConfigFile(table.configFile)}: ${error.message}`, { cause: error });
    }
  }
}
