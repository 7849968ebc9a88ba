import { describe, expect, it } from "vitest";
import { helpOffersLookup, leavesSpeculationOpen, withLlamaServerLookup } from "../../src/supervisor/llama-server-lookup.js";

// The lines that matter of two llama-servers' --help: this project's build (llama.cpp of Sep 2026) and
// one from before --spec-type, which refuses a flag it does not know.
const NEW_HELP = [
  "-md,   --spec-draft-model, --model-draft FNAME    draft model for speculative decoding (default: unused)",
  "--spec-type none,draft-simple,draft-eagle3,draft-mtp,draft-dflash,draft-dspark,ngram-simple,ngram-map-k,ngram-map-k4v,ngram-mod,ngram-cache",
  "                                        comma-separated list of types of speculative decoding to use (default:",
  "                                        none)",
  "                                        ",
  "                                        (env: LLAMA_ARG_SPEC_TYPE)",
  "--spec-ngram-mod-n-min N                minimum number of ngram tokens to use for ngram-based speculative",
].join("\n");
const OLD_HELP = [
  "-md,   --model-draft FNAME              draft model for speculative decoding (default: unused)",
  "--lookup-ngram-min N                    minimum n-gram size for lookup decoding (default: 1)",
].join("\n");
const ARGV = ["llama-server", "-m", "/m/coder.gguf", "--host", "127.0.0.1", "--port", "8080", "--jinja", "-c", "32768"];

describe("llama-server's n-gram lookup, added where the server has it", () => {
  it("reads the server's own help: --spec-type with ngram-simple among its values", () => {
    expect(helpOffersLookup(NEW_HELP)).toBe(true);
    expect(helpOffersLookup(OLD_HELP)).toBe(false);
    // ngram-simple named before --spec-type (in another option's text) is not the flag's value.
    expect(helpOffersLookup("--spec-ngram-simple-size-n N  ngram-simple's n\n--spec-type none,draft-simple")).toBe(false);
    expect(helpOffersLookup("--spec-type none,draft-simple   types\n--spec-ngram-simple-size-n N  ngram-simple's n")).toBe(false);
    expect(helpOffersLookup("")).toBe(false);
  });

  it("adds --spec-type ngram-simple at the end of a command that chose no speculation, asking the program named first", async () => {
    const asked: string[] = [];
    const result = await withLlamaServerLookup(ARGV, { env: {}, readHelp: async (program) => (asked.push(program), NEW_HELP) });
    expect(result).toEqual([...ARGV, "--spec-type", "ngram-simple"]);
    expect(asked).toEqual(["llama-server"]);
  });

  it("leaves the command as written for a server without --spec-type, or whose help cannot be read", async () => {
    expect(await withLlamaServerLookup(ARGV, { env: {}, readHelp: async () => OLD_HELP })).toEqual(ARGV);
    expect(await withLlamaServerLookup(ARGV, { env: {}, readHelp: () => Promise.reject(new Error("ENOENT")) })).toEqual(ARGV);
  });

  it("leaves a command or an environment that chose its own speculation alone, without asking the server", async () => {
    const chosen = [
      [...ARGV, "--spec-type", "none"],
      [...ARGV, "--spec-type=ngram-mod"],
      [...ARGV, "-md", "/m/draft.gguf"],
      [...ARGV, "--model-draft", "/m/draft.gguf", "--spec-type", "draft-simple"],
      [...ARGV, "--spec-draft-model", "/m/draft.gguf"],
      [...ARGV, "-hfd", "user/draft"],
    ];
    for (const argv of chosen) {
      expect(leavesSpeculationOpen(argv, {})).toBe(false);
      const result = await withLlamaServerLookup(argv, { env: {}, readHelp: () => Promise.reject(new Error("not asked")) });
      expect(result).toEqual(argv);
    }
    for (const name of ["LLAMA_ARG_SPEC_TYPE", "LLAMA_ARG_SPEC_DRAFT_MODEL", "LLAMA_ARG_MODEL_DRAFT"])
      expect(leavesSpeculationOpen(ARGV, { [name]: "x" })).toBe(false);
    expect(leavesSpeculationOpen(ARGV, { PATH: "/usr/bin" })).toBe(true);
  });
});
