import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { resolveModelSource, type ResolveModelSourceOptions } from "../src/engine/resolve-model-source.js";
import { MallexError } from "../src/shared/mallex-error.js";
import { classifyServerLine } from "../src/supervisor/classify-server-output.js";
import { startFakeHuggingFace, type FakeHuggingFace } from "./fakes/fake-hugging-face.js";
import { describeWithShared, sharedPath } from "./helpers/shared-dir.js";

const MODEL_SHA256 = "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d";

async function rejection(promise: Promise<unknown>): Promise<MallexError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(MallexError.isInstance(error), `expected a MallexError, got ${String(error)}`).toBe(true);
  return error as MallexError;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("resolveModelSource: a local path", () => {
  let dir: string;
  beforeAll(async () => void (dir = await mkdtemp(join(tmpdir(), "mallex-model-"))));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const options = (): ResolveModelSourceOptions => ({ modelsDir: join(dir, "models"), onProgress: () => undefined });

  it("names the path of a file that does not exist", async () => {
    const missing = join(dir, "nope.gguf");
    const error = await rejection(resolveModelSource(missing, options()));
    expect(error.message).toBe(`there is no model file at ${missing}`);
  });

  it("says a file that does not start with the GGUF magic is not a GGUF model", async () => {
    const path = join(dir, "model.safetensors");
    await writeFile(path, Buffer.from('\x08\x00\x00\x00{"__metadata__":{}}'));
    const error = await rejection(resolveModelSource(path, options()));
    expect(error.message).toMatch(new RegExp(`^${path.replace(/[.\\]/g, "\\$&")} is not a GGUF model file: it starts with`));
  });

  it("says a folder is not a model file", async () => {
    expect((await rejection(resolveModelSource(dir, options()))).message).toBe(`${dir} is not a file: give the path of a .gguf file`);
  });
});

describeWithShared("resolveModelSource: a real tiny GGUF (stories260K) from a fake Hugging Face", () => {
  let model: Buffer;
  let hub: FakeHuggingFace;
  let dir: string;
  let modelsDir: string;
  let lines: string[];
  const options = (extra: Partial<ResolveModelSourceOptions> = {}): ResolveModelSourceOptions => ({
    modelsDir,
    onProgress: (line) => lines.push(line),
    endpoints: { huggingFace: hub.url },
    ...extra,
  });
  const cdnGets = () => hub.requests.filter((r) => r.server === "cdn" && r.method === "GET");
  const fileIn = (...parts: string[]) => join(modelsDir, "hf", "tiny", "stories-GGUF", "main", ...parts);

  beforeAll(async () => {
    model = await readFile(sharedPath("models", "stories260K.gguf"));
    expect(createHash("sha256").update(model).digest("hex")).toBe(MODEL_SHA256);
    hub = await startFakeHuggingFace({
      "tiny/stories-GGUF": {
        files: {
          "stories260K.gguf": model,
          "Q4_K_M/stories260K-Q4_K_M.gguf": model,
          "split/stories-00001-of-00002.gguf": model,
          "split/stories-00002-of-00002.gguf": model,
          "page.gguf": Buffer.from("<!DOCTYPE html><html><body>Sign in</body></html>"),
        },
        tags: { Q4_K_M: "Q4_K_M/stories260K-Q4_K_M.gguf" },
      },
      "tiny/gated-GGUF": { files: { "stories260K.gguf": model }, gatedToken: "hf_test_token" },
    });
    dir = await mkdtemp(join(tmpdir(), "mallex-hf-"));
  });
  afterAll(async () => {
    await hub.stop();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    modelsDir = await mkdtemp(join(dir, "models-"));
    lines = [];
    hub.requests.length = 0;
    hub.throttle(0, 0);
    hub.corrupt(false);
    hub.cutDownloadsAfter(0, 0);
    hub.onBodyBytes = undefined;
    await hub.start().catch(() => undefined); // a test may have stopped it
  });

  it("downloads hf:user/repo/file.gguf into modelsDir with progress, and finds it the next time without the network", async () => {
    const path = await resolveModelSource("hf:tiny/stories-GGUF/stories260K.gguf", options());
    expect(path).toBe(fileIn("stories260K.gguf"));
    expect((await readFile(path)).equals(model)).toBe(true);
    expect(await readFile(`${path}.sha256`, "utf8")).toBe(`${MODEL_SHA256}  stories260K.gguf\n`);

    // What the fake saw: one HEAD on the Hub (resolve URL, as node-llama-cpp builds it), one GET on the CDN.
    expect(hub.requests.map((r) => `${r.server} ${r.method} ${r.path.split("?")[0]}`)).toEqual([
      "hub HEAD /tiny/stories-GGUF/resolve/main/stories260K.gguf",
      `cdn GET /xet-bridge-us/65c0e0a24913fc50b7ba14d2/${MODEL_SHA256}`,
    ]);

    // Lines the supervisor shows as download progress, throttled, ending at 100%.
    const classified = lines.map((line) => classifyServerLine(line));
    expect(classified.every((c) => c?.kind === "download" && c.label === "hf:tiny/stories-GGUF/stories260K.gguf")).toBe(true);
    const percents = classified.map((c) => (c?.kind === "download" ? c.percent : -1));
    expect(percents.at(-1)).toBe(100);
    expect(percents.filter((p) => p === 100)).toHaveLength(1);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(lines.length).toBeLessThanOrEqual(22);
    expect(lines.at(-1)).toMatch(/^hf:tiny\/stories-GGUF\/stories260K\.gguf: 100%\|██████████\| 1\.19MB\/1\.19MB \[\d\d:\d\d<00:00, .+\/s\]$/);

    hub.requests.length = 0;
    lines = [];
    await hub.stop();
    expect(await resolveModelSource("hf:tiny/stories-GGUF/stories260K.gguf", options())).toBe(path);
    expect(hub.requests).toEqual([]);
    expect(lines).toEqual([]);
  });

  it("resolves hf:user/repo:quant through the manifest (as llama.cpp asks it) and then works offline", async () => {
    const path = await resolveModelSource("hf:tiny/stories-GGUF:q4_k_m", options());
    expect(path).toBe(fileIn("Q4_K_M", "stories260K-Q4_K_M.gguf"));
    expect((await readFile(path)).equals(model)).toBe(true);
    const manifest = hub.requests.find((r) => r.path.startsWith("/v2/"));
    expect(manifest?.path).toBe("/v2/tiny/stories-GGUF/manifests/Q4_K_M");
    expect(manifest?.headers["user-agent"]).toBe("llama-cpp");

    await hub.stop();
    hub.requests.length = 0;
    expect(await resolveModelSource("hf:tiny/stories-GGUF:Q4_K_M", options())).toBe(path);
    expect(hub.requests).toEqual([]);
  });

  it("names an unknown quantization tag in one sentence", async () => {
    const error = await rejection(resolveModelSource("hf:tiny/stories-GGUF:Q9_X", options()));
    expect(error.message).toBe(
      'hf:tiny/stories-GGUF:Q9_X: tiny/stories-GGUF has no quantization Q9_X (Hugging Face: The specified tag is not a valid quantization scheme. Please use another tag or "latest"); pick another tag, or name the file: hf:tiny/stories-GGUF/<file>.gguf',
    );
  });

  it("continues a download whose connection broke with a Range request, in the same call", async () => {
    hub.cutDownloadsAfter(400_000);
    const path = await resolveModelSource("hf:tiny/stories-GGUF/stories260K.gguf", options());
    expect((await readFile(path)).equals(model)).toBe(true);
    const gets = cdnGets();
    expect(gets).toHaveLength(2);
    expect(gets[0]!.headers.range).toBeUndefined();
    expect(gets[1]!.headers.range).toMatch(/^bytes=[1-9]\d*-$/);
  });

  it("resumes an interrupted download in the next call with a Range request, not from the start", async () => {
    hub.cutDownloadsAfter(400_000);
    // The network goes away as the connection breaks: the retry is refused.
    hub.onBodyBytes = (bytes) => void (bytes >= 400_000 && hub.stop());
    const first = await rejection(resolveModelSource("hf:tiny/stories-GGUF/stories260K.gguf", options()));
    expect(first.message).toMatch(
      /^the download of hf:tiny\/stories-GGUF\/stories260K\.gguf stopped at \d+% \(connect ECONNREFUSED 127\.0\.0\.1:\d+\): start again to resume it$/,
    );
    const part = (await readdir(fileIn())).find((name) => name.endsWith(".part"));
    expect(part).toBe(`stories260K.gguf.${MODEL_SHA256.slice(0, 16)}.part`);
    const kept = (await stat(fileIn(part!))).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(model.length);

    hub.onBodyBytes = undefined;
    await hub.start();
    hub.requests.length = 0;
    const path = await resolveModelSource("hf:tiny/stories-GGUF/stories260K.gguf", options());
    expect(cdnGets().map((r) => r.headers.range)).toEqual([`bytes=${kept}-`]);
    expect((await readFile(path)).equals(model)).toBe(true);
    expect(await readdir(fileIn())).toEqual(["stories260K.gguf", "stories260K.gguf.sha256"]);
  });

  it("deletes a download whose sha256 is not the one Hugging Face publishes, and says it was corrupt", async () => {
    hub.corrupt(true);
    const error = await rejection(resolveModelSource("hf:tiny/stories-GGUF/stories260K.gguf", options()));
    expect(error.message).toMatch(
      new RegExp(
        `^the download of hf:tiny/stories-GGUF/stories260K\\.gguf was corrupt \\(its sha256 is [0-9a-f]{64}, Hugging Face \\(${hub.url.replace(/[.]/g, "\\.")}\\) publishes ${MODEL_SHA256}\\); it was deleted: start again to download it afresh$`,
      ),
    );
    expect(await readdir(fileIn())).toEqual([]);
    hub.corrupt(false);
    expect((await readFile(await resolveModelSource("hf:tiny/stories-GGUF/stories260K.gguf", options()))).equals(model)).toBe(true);
  });

  it("hashes a file again only when it changed after it was verified, and downloads it again if it no longer matches", async () => {
    const path = await resolveModelSource("hf:tiny/stories-GGUF/stories260K.gguf", options());
    const later = new Date(Date.now() + 60_000);
    await utimes(path, later, later); // touched, same bytes: hashed again, kept, no network
    hub.requests.length = 0;
    await resolveModelSource("hf:tiny/stories-GGUF/stories260K.gguf", options());
    expect(hub.requests).toEqual([]);
    expect((await stat(`${path}.sha256`)).mtimeMs).toBeGreaterThanOrEqual((await stat(path)).mtimeMs);

    const damaged = Buffer.from(model);
    damaged[1000] = damaged[1000]! ^ 0xff;
    await writeFile(path, damaged);
    await utimes(path, new Date(Date.now() + 120_000), new Date(Date.now() + 120_000));
    await resolveModelSource("hf:tiny/stories-GGUF/stories260K.gguf", options());
    expect(cdnGets()).toHaveLength(1);
    expect((await readFile(path)).equals(model)).toBe(true);
  });

  it("says Hugging Face is not reachable when offline with no local copy", async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const byFile = await rejection(resolveModelSource("hf:tiny/stories-GGUF/stories260K.gguf", options({ endpoints: { huggingFace: endpoint } })));
    // Two lines: what failed, naming the file; what to do, with the address it downloads from.
    expect(byFile.message.split("\n")).toEqual([
      `cannot download stories260K.gguf: Hugging Face (${endpoint}) is not reachable (connect ECONNREFUSED ${endpoint.slice(7)})`,
      `to fix it, download ${endpoint}/tiny/stories-GGUF/resolve/main/stories260K.gguf yourself, then run \`mallex run --embedded <that file>\` (this machine's settings, that file as their model)`,
    ]);
    // A tag names no file until the Hub is asked: the repository's page then.
    const byTag = await rejection(resolveModelSource("hf:tiny/stories-GGUF:Q4_K_M", options({ endpoints: { huggingFace: endpoint } })));
    expect(byTag.message.split("\n")).toEqual([
      `cannot download hf:tiny/stories-GGUF:Q4_K_M: Hugging Face (${endpoint}) is not reachable (connect ECONNREFUSED ${endpoint.slice(7)})`,
      `to fix it, download its GGUF from ${endpoint}/tiny/stories-GGUF yourself, then run \`mallex run --embedded <that file>\` (this machine's settings, that file as their model)`,
    ]);
  });

  it("stops promptly when aborted, keeping what it downloaded for the next call", async () => {
    hub.throttle(16_384, 20);
    const controller = new AbortController();
    hub.onBodyBytes = (bytes) => void (bytes >= 100_000 && controller.abort(new Error("stopped by the test")));
    const error = await resolveModelSource("hf:tiny/stories-GGUF/stories260K.gguf", options({ signal: controller.signal })).catch((e: unknown) => e);
    expect((error as Error).message).toBe("stopped by the test");
    const part = (await readdir(fileIn())).find((name) => name.endsWith(".part"));
    expect((await stat(fileIn(part!))).size).toBeGreaterThan(0);
  });

  it("sends HF_TOKEN to the Hub for a gated repository, never to the CDN", async () => {
    const denied = await rejection(resolveModelSource("hf:tiny/gated-GGUF/stories260K.gguf", options()));
    expect(denied.message).toBe(
      "cannot download hf:tiny/gated-GGUF/stories260K.gguf: tiny/gated-GGUF is a gated repository: accept its terms on https://huggingface.co/tiny/gated-GGUF and set HF_TOKEN to a token of that account",
    );
    hub.requests.length = 0;
    const path = await resolveModelSource("hf:tiny/gated-GGUF/stories260K.gguf", options({ env: { HF_TOKEN: "hf_test_token" } }));
    expect((await readFile(path)).equals(model)).toBe(true);
    expect(hub.requests.find((r) => r.server === "hub")?.headers.authorization).toBe("Bearer hf_test_token");
    expect(cdnGets()[0]!.headers.authorization).toBeUndefined();
  });

  it("names a missing file and a missing repository", async () => {
    expect((await rejection(resolveModelSource("hf:tiny/stories-GGUF/nope.gguf", options()))).message).toBe(
      "cannot download hf:tiny/stories-GGUF/nope.gguf: tiny/stories-GGUF has no file nope.gguf",
    );
    expect((await rejection(resolveModelSource("hf:tiny/nothing-GGUF/x.gguf", options()))).message).toBe(
      "cannot download hf:tiny/nothing-GGUF/x.gguf: there is no repository tiny/nothing-GGUF on Hugging Face (if it is private or gated, set HF_TOKEN to a Hugging Face token with access)",
    );
  });

  it("takes the endpoint from HF_ENDPOINT in env, and accepts a huggingface.co URL for the same file", async () => {
    const path = await resolveModelSource(`${hub.url}/tiny/stories-GGUF/blob/main/stories260K.gguf`, {
      modelsDir,
      onProgress: () => undefined,
      env: { HF_ENDPOINT: `${hub.url}/` },
    });
    expect(relative(modelsDir, path)).toBe(join("hf", "tiny", "stories-GGUF", "main", "stories260K.gguf"));
  });

  it("downloads every part of a split GGUF and returns the first", async () => {
    const path = await resolveModelSource("hf:tiny/stories-GGUF/split/stories-00002-of-00002.gguf", options());
    expect(path).toBe(fileIn("split", "stories-00001-of-00002.gguf"));
    expect((await readdir(fileIn("split"))).sort()).toEqual([
      "stories-00001-of-00002.gguf",
      "stories-00001-of-00002.gguf.sha256",
      "stories-00002-of-00002.gguf",
      "stories-00002-of-00002.gguf.sha256",
    ]);
  });

  it("deletes a download that is not a GGUF file", async () => {
    const error = await rejection(resolveModelSource("hf:tiny/stories-GGUF/page.gguf", options()));
    expect(error.message).toBe('hf:tiny/stories-GGUF/page.gguf is not a GGUF model file (it starts with "<!DO"); it was deleted');
    expect(await readdir(fileIn())).toEqual([]);
  });
});
