import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeHuggingFace, type FakeHuggingFace } from "./fakes/fake-hugging-face.js";
import { writeTree } from "./helpers/config-tree.js";
import { runCli } from "./helpers/run-cli.js";

/** Doctor reads no model's bytes: a GGUF header is content enough. */
const GGUF = Buffer.concat([Buffer.from("GGUF", "latin1"), Buffer.alloc(60)]);
const MODEL = "hf:tiny/stories-GGUF/stories260K-chatml.gguf";
const config = (model: string) =>
  `include: [mallex]\nprofiles:\n  tiny: { backend: embedded, model: "${model}", size: small, min_ram_gb: 1 }\ntiers:\n  low: { profile: tiny }\n  medium: { profile: tiny }\n  high: { profile: tiny }\n`;

// Runs the built CLI (`npm test` builds first) against a fake Hub on loopback (HF_ENDPOINT).
describe("mallex doctor: an hf: model that is not downloaded yet, and whether Hugging Face is reachable", () => {
  let hub: FakeHuggingFace;
  beforeAll(async () => {
    hub = await startFakeHuggingFace({ "tiny/stories-GGUF": { files: { "stories260K-chatml.gguf": GGUF } } });
  });
  afterAll(() => hub.stop());

  const doctor = (home: string, model = MODEL) => {
    const dir = writeTree({ "mallex.yaml": config(model) });
    return runCli(["doctor"], { cwd: dir, env: { MALLEX_HOME: home, HF_ENDPOINT: hub.url } });
  };
  const line = (stdout: string, name: string) => stdout.split("\n").find((l) => l.slice(2).startsWith(`${name} —`));

  it("the Hub has it: ! with a note that the first start downloads it, and ✓ hugging face", async () => {
    const result = await doctor(mkdtempSync(join(tmpdir(), "mallex-state-")));
    expect(line(result.stdout, "model tiny")).toBe(
      `! model tiny — ${MODEL} is not downloaded yet: \`mallex run\` downloads it on first start, which takes a while`,
    );
    expect(line(result.stdout, "hugging face")).toBe(`✓ hugging face — ${hub.url} is reachable`);
    expect(hub.requests.some((r) => r.path === "/api/models/tiny/stories-GGUF")).toBe(true);
  });

  it("a file the repository does not have, or a repository the Hub does not know: ✗ saying so", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
    const noFile = await doctor(home, "hf:tiny/stories-GGUF/stories-Q8_0.gguf");
    expect(line(noFile.stdout, "model tiny")).toMatch(
      /^✗ model tiny — hf:tiny\/stories-GGUF\/stories-Q8_0.gguf is not downloaded yet, and tiny\/stories-GGUF on Hugging Face has no file stories-Q8_0.gguf \(fix: check the file name/,
    );
    const noRepo = await doctor(home, "hf:nobody/nothing-GGUF/x.gguf");
    expect(line(noRepo.stdout, "model tiny")).toMatch(
      /^✗ model tiny — hf:nobody\/nothing-GGUF\/x.gguf is not downloaded yet, and there is no repository nobody\/nothing-GGUF on Hugging Face/,
    );
    expect(noRepo.exitCode).toBe(1);
  });

  it("downloaded: ✓ with its path, and the Hub is not asked", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
    const path = join(home, "models", "hf", "tiny", "stories-GGUF", "main", "stories260K-chatml.gguf");
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, GGUF);
    const before = hub.requests.length;
    const result = await doctor(home);
    expect(line(result.stdout, "model tiny")).toBe(`✓ model tiny — ${MODEL} is downloaded (${path})`);
    expect(line(result.stdout, "hugging face")).toBe("- hugging face — every model in use is here; nothing to download");
    expect(hub.requests.length).toBe(before);
  });

  it("the Hub unreachable: ✗ model (it cannot start) and ✗ hugging face with the reason", async () => {
    await hub.stop();
    try {
      const result = await doctor(mkdtempSync(join(tmpdir(), "mallex-state-")));
      expect(line(result.stdout, "model tiny")).toBe(
        `✗ model tiny — ${MODEL} is not downloaded yet, and Hugging Face is not reachable to download it (fix: download the GGUF yourself and set profiles.tiny.model to its path (or pass it: mallex run --embedded PATH))`,
      );
      expect(line(result.stdout, "hugging face")).toMatch(
        new RegExp(`^✗ hugging face — ${hub.url.replace(/[.]/g, "\\.")} is not reachable \\(connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+\\) \\(fix: `),
      );
      expect(result.exitCode).toBe(1);
    } finally {
      await hub.start();
    }
  });
});
