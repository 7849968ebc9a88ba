/**
 * The Models page's actions in a real `mallex proxy` (the built CLI, a MALLEX_HOME of its own with the
 * user's mallex.yaml as `mallex init` leaves it), over HTTP as the page calls them: a model put on a
 * tier (planned, diffed, refused when too big or edited meanwhile, written with a backup, agreed by
 * `mallex compile`, and serving the very next request without a restart), a model downloaded from a
 * fake Hugging Face (HF_ENDPOINT) with progress and removed, offline and cut downloads that leave
 * nothing, and an eval of a profile through the real Claude Code, shown live and kept in the history.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createFakeMlxServer, DEFAULT_MODEL, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { competentCoder } from "./fakes/scripted-coder.js";
import { hashText } from "../src/models/actions/user-config.js";
import { startFakeHuggingFace, type FakeHuggingFace } from "./fakes/fake-hugging-face.js";
import { PINNED_CLAUDE_CODE } from "./helpers/claude-code-versions.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { runCli } from "./helpers/run-cli.js";
import { describeWithShared, sharedPath } from "./helpers/shared-dir.js";

const TOKEN = "models-page-token-0123456789";

/** The user's file: `mallex init`'s shape (the shipped default included, aligned tiers with comments), a model the fake serves, one no machine can hold. */
const USER_FILE = `# My settings: every line of this file stays as I wrote it.
include: [mallex]

server:
  auth_token: "${TOKEN}"

profiles:
  coder: { backend: mlx, model: ${DEFAULT_MODEL}, size: small }   # the model I use
  huge:
    backend: embedded
    model: hf:nobody/Huge-GGUF/huge-Q8_0.gguf
    size: large
    min_ram_gb: 100000

# --- Effort tiers -------------------------------------------------------------------------------
tiers:
  low:    { profile: coder }   # local
  medium: { profile: coder }   # local
  high:   { profile: coder }   # local
`;

interface Plan {
  file: string;
  hash: string;
  newText: string;
  diff: string;
  tier: string;
  from: string | null;
  profile: string;
  added: { name: string; fields: Record<string, unknown> } | null;
  model: { name: string; path: string } | null;
}

describeWithShared("the Models page's actions in a real mallex proxy", () => {
  let mlx: FakeMlxServer;
  let hub: FakeHuggingFace;
  let proxy: MallexProxyProcess;
  let home: string;
  let config: string;
  let local: string;
  const gguf = () => readFileSync(sharedPath("models", "stories260K.gguf"));

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${proxy.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  const refusal = async (response: Response) => [response.status, ((await response.json()) as { error: { message: string } }).error.message] as const;
  const plan = async (body: unknown): Promise<Plan> => {
    const response = await post("/ui/api/models/tier/plan", body);
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as Plan;
  };
  /** A download's events, read to the end of its stream. */
  const download = async (ref: string) => {
    const response = await post("/ui/api/models/download", { ref });
    expect(response.status).toBe(200);
    return (await response.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; [key: string]: unknown });
  };

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "mallex-models-page-"));
    config = join(home, "mallex.yaml");
    writeFileSync(config, USER_FILE);
    local = join(home, "models", "mine", "stories-chat.gguf");
    mkdirSync(join(home, "models", "mine"), { recursive: true });
    copyFileSync(sharedPath("models", "stories260K-chatml.gguf"), local);
    mkdirSync(join(home, "tmp"));
    mkdirSync(join(home, "hf"));
    mlx = await createFakeMlxServer({ respond: competentCoder, availableModels: [local] });
    hub = await startFakeHuggingFace({
      "tiny/stories-GGUF": { files: { "stories260K.gguf": gguf(), "cut/stories-cut.gguf": gguf(), "offline/stories-off.gguf": gguf() } },
    });
    proxy = await startProxyProcess(["--backend-url", mlx.url], home, {
      HOME: home,
      HF_HOME: join(home, "hf"),
      HF_ENDPOINT: hub.url,
      TMPDIR: join(home, "tmp"),
      PATH: [PINNED_CLAUDE_CODE.binDir, process.env.PATH ?? ""].join(delimiter),
      DISABLE_TELEMETRY: "1",
      CLAUDE_CODE_MAX_RETRIES: "0",
    });
  });
  afterAll(async () => {
    await proxy?.stop();
    await mlx?.close();
    await hub?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it("refuses a model too big for this machine, and any model outside mallex's folders: nothing written", async () => {
    expect(await refusal(await post("/ui/api/models/tier/plan", { tier: "medium", profile: "huge" }))).toEqual([
      422,
      expect.stringMatching(/^huge-Q8_0 needs about 100000 GB of memory and this machine has [\d.]+ GB: it does not fit/),
    ]);
    for (const path of ["/etc/passwd", join(home, "mallex.yaml"), "models/mine/stories-chat.gguf", `${home}/models/../mallex.yaml`])
      expect((await refusal(await post("/ui/api/models/tier/plan", { tier: "medium", model: path })))[0], path).toBe(404);
    // A file the config does not name, wherever it is, is not the page's to change.
    expect((await refusal(await post("/ui/api/models/tier/plan", { tier: "medium", profile: "coder", file: "/etc/passwd" })))[0]).toBe(400);
    expect(readFileSync(config, "utf8")).toBe(USER_FILE);
    expect(existsSync(`${config}.bak`)).toBe(false);
  });

  it("puts a model on a tier: the diff first, refused once the file was edited meanwhile, then written with a backup; mallex compile agrees, the next request goes to it", async () => {
    const planned = await plan({ tier: "medium", model: local });
    expect(planned).toMatchObject({ file: config, tier: "medium", from: "coder", profile: "stories-chat", model: { name: "stories-chat", path: local } });
    expect(planned.added).toMatchObject({ name: "stories-chat", fields: { backend: "embedded", model: local, size: "small" } });
    expect(planned.diff).toContain(`--- ${config}\n+++ ${config}\n`);
    expect(planned.diff).toContain("-  medium: { profile: coder }   # local\n+  medium: { profile: stories-chat }   # local\n");
    expect(planned.diff).toContain("+  stories-chat:\n");
    expect(readFileSync(config, "utf8")).toBe(USER_FILE);

    // Edited in an editor between the plan and the apply: the apply writes nothing.
    const edited = `${USER_FILE}# a note I added meanwhile\n`;
    writeFileSync(config, edited);
    expect(await refusal(await post("/ui/api/models/tier/apply", { hash: planned.hash, newText: planned.newText }))).toEqual([
      409,
      `${config} was edited meanwhile (it is no longer the text this change was planned on): nothing was written; plan the change again`,
    ]);
    expect(readFileSync(config, "utf8")).toBe(edited);
    expect(existsSync(`${config}.bak`)).toBe(false);

    // A text the client made up, over the file as it is: only a change this mallex planned is written.
    const madeUp = edited.replace("backend: embedded", "backend: embedded  # could name any command");
    expect(await refusal(await post("/ui/api/models/tier/apply", { hash: hashText(edited), newText: madeUp }))).toEqual([
      409,
      "this change was not planned by this mallex (or it has planned many since): plan it again, then apply what the plan gives",
    ]);
    expect(readFileSync(config, "utf8")).toBe(edited);

    const again = await plan({ tier: "medium", model: local });
    expect(again.newText.endsWith("# a note I added meanwhile\n")).toBe(true);
    const applied = await post("/ui/api/models/tier/apply", { hash: again.hash, newText: again.newText });
    expect(applied.status).toBe(200);
    expect(await applied.json()).toEqual({
      file: config,
      backup: `${config}.bak`,
      served: true,
      tiers: { low: "coder", medium: "stories-chat", high: "coder" },
      notes: [`this mallex serves every local tier with --backend-url ${mlx.url}: the model itself changes when mallex starts without it`],
    });
    expect(readFileSync(config, "utf8")).toBe(again.newText);
    expect(readFileSync(`${config}.bak`, "utf8")).toBe(edited);

    const compiled = await runCli(["compile"], { cwd: join(home, "tmp"), env: { MALLEX_HOME: home, HOME: home, PATH: process.env.PATH ?? "" } });
    expect(compiled.exitCode, compiled.stderr).toBe(0);
    expect(compiled.stdout).toMatch(/^✓ compiled .*mallex\.yaml \(this machine's settings\)/m);

    // No restart: the next request is routed by the new tier, to the new profile's model.
    const answer = await fetch(`${proxy.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": TOKEN, "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 64, messages: [{ role: "user", content: "What is a closure?" }] }),
    });
    expect(answer.status, await answer.text()).toBe(200);
    expect(answer.headers.get("x-mallex-route")).toMatch(/^tier=medium; profile=stories-chat; backend=local;/);
    expect(mlx.requests.at(-1)?.body).toMatchObject({ model: local });
    expect(proxy.output()).toContain("config changed: low → coder, medium → stories-chat, high → coder");
  });

  it("downloads a model by its Hugging Face reference with progress, and removes it; refuses a model a tier uses and any path outside the models folder", async () => {
    const events = await download("hf:tiny/stories-GGUF/stories260K.gguf");
    const path = join(home, "models", "hf", "tiny", "stories-GGUF", "main", "stories260K.gguf");
    expect(events.filter((e) => e.type === "progress").at(-1)).toMatchObject({ line: expect.stringContaining("100%|"), percent: 100 });
    expect(events.at(-1)).toEqual({ type: "done", ref: "hf:tiny/stories-GGUF/stories260K.gguf", path, sizeBytes: gguf().length });
    // Buffer#equals, not toEqual: a deep compare of a megabyte holds this process for seconds (and the proxy drops its idle connections meanwhile).
    expect(readFileSync(path).equals(gguf())).toBe(true);
    expect(existsSync(`${path}.sha256`)).toBe(true);
    // Already there and verified: nothing is fetched again.
    const gets = hub.requests.length;
    expect((await download("hf:tiny/stories-GGUF/stories260K.gguf")).at(-1)).toMatchObject({ type: "done", path });
    expect(hub.requests.length).toBe(gets);

    for (const ref of ["https://example.com/x.gguf", "/etc/passwd", "hf:tiny/../../x.gguf", "hf:tiny/stories-GGUF/../../../x.gguf"])
      expect((await refusal(await post("/ui/api/models/download", { ref })))[0], ref).toBe(400);

    const outside = join(home, "tmp", "outside.gguf");
    writeFileSync(outside, "GGUF");
    symlinkSync(outside, join(home, "models", "link.gguf"));
    for (const target of [outside, join(home, "models", "link.gguf"), join(home, "models", "..", "tmp", "outside.gguf"), config, "stories260K.gguf"])
      expect((await refusal(await post("/ui/api/models/remove", { path: target })))[0], target).toBe(400);
    expect(await refusal(await post("/ui/api/models/remove", { path: local }))).toEqual([
      409,
      "stories-chat.gguf is the model of profile stories-chat, which tier medium uses: put another model on that tier first",
    ]);
    expect(existsSync(outside) && existsSync(local)).toBe(true);

    const removed = await post("/ui/api/models/remove", { path });
    expect(await removed.json()).toEqual({ removed: [path, `${path}.sha256`] });
    expect(existsSync(join(home, "models", "hf"))).toBe(false);
  });

  it("says in one line that a download failed, offline or cut off midway, and leaves nothing of it", async () => {
    await hub.stop();
    try {
      const offline = await download("hf:tiny/stories-GGUF/offline/stories-off.gguf");
      expect(offline).toEqual([
        {
          type: "error",
          status: 503,
          message: expect.stringMatching(/^cannot download stories-off\.gguf: Hugging Face \(http:\/\/127\.0\.0\.1:\d+\) is not reachable \([^\n]*\)$/),
        },
      ]);
    } finally {
      await hub.start();
    }
    hub.cutDownloadsAfter(1000, 10);
    const cut = await download("hf:tiny/stories-GGUF/cut/stories-cut.gguf");
    expect(cut.at(-1)).toEqual({
      type: "error",
      status: 503,
      message: expect.stringMatching(/^the download of hf:tiny\/stories-GGUF\/cut\/stories-cut\.gguf stopped at \d+% \([^\n]*\): nothing of it was kept$/),
    });
    hub.cutDownloadsAfter(0, 0);
    expect(existsSync(join(home, "models", "hf"))).toBe(false);
  });

  it("runs an eval of a profile from the page, one at a time: live on the Eval tab, then in the eval history", async () => {
    expect(await refusal(await post("/ui/api/models/eval", { profile: "nobody" }))).toEqual([
      404,
      expect.stringContaining('the config has no profile "nobody"'),
    ]);
    expect((await refusal(await post("/ui/api/models/eval", { profile: "coder", task: "no-such-task" })))[0]).toBe(400);
    const started = await post("/ui/api/models/eval", { profile: "coder", task: "run-command" });
    expect(started.status).toBe(202);
    expect(await started.json()).toEqual({ profile: "coder", tasks: ["run-command"] });
    expect(await refusal(await post("/ui/api/models/eval", { profile: "coder" }))).toEqual([
      409,
      "an eval of coder is under way: one runs at a time; its progress is on the Eval tab",
    ]);
    const evalView = async () =>
      (
        (await (await fetch(`${proxy.url}/ui/api/eval`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
          source: string;
          eval?: { state: string; report: { passed: number; total: number } };
        }
      ).eval;
    await expect.poll(async () => (await evalView())?.state, { timeout: 240_000, interval: 500 }).toMatch(/^(finished|interrupted|failed)$/);
    expect(await evalView(), proxy.output()).toMatchObject({ state: "finished", report: { passed: 1, total: 1 } });
    const runs = readdirSync(join(home, "evals"));
    expect(runs).toHaveLength(1);
    const run = JSON.parse(readFileSync(join(home, "evals", runs[0]!), "utf8")) as { state: string; variants: Array<Record<string, unknown>> };
    expect(run.state).toBe("finished");
    expect(run.variants).toEqual([expect.objectContaining({ profile: "coder", pinned: true, model: DEFAULT_MODEL, passRate: 1, passed: 1, total: 1 })]);
    expect(existsSync(join(home, "last-eval.json"))).toBe(true);
  }, 300_000);
});
