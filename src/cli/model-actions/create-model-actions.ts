import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join } from "node:path";
import type { ConfigLayers } from "../../config/config-layers.js";
import type { ConfigValidator } from "../../config/validate-schema.js";
import { readFields, refuse, type ActionResult } from "../../models/actions/action-result.js";
import type { UserConfig } from "../../models/actions/user-config.js";
import type { ModelActions } from "../../server/routes/model-actions.js";
import type { RunningProxy } from "../../server/start-proxy.js";
import { MallexError } from "../../shared/mallex-error.js";

export interface ModelActionsOptions {
  /** The files the running mallex read its config from: the top one is the user's file a tier change writes. */
  layers: ConfigLayers;
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  packageRoot: string;
  mallexHome: string;
  /** The proxy, once it listens. */
  proxy(): RunningProxy | undefined;
  /**
   * The config compiled again and taken by the running proxy (serve.ts: the same steps as at its
   * start, then RunningProxy.adoptConfig); the lines of what waits for a restart.
   */
  reload(): Promise<string[]>;
  /** What serves every local profile of this mallex instead of its own model (`--embedded`, `--backend-url`), said after a change. */
  servedBy?: string;
  log(line: string): void;
}

/** Plans kept for an apply: the page applies the one it just showed. */
const MAX_PLANS = 16;

const planKey = (hash: string, newText: string) => `${hash}:${createHash("sha256").update(newText).digest("hex")}`;

/**
 * The Models page's actions for the proxy `serve` starts: the library functions of models/actions/
 * over this mallex's config, models folder and proxy, one download and one eval at a time. `close`
 * stops a download or an eval under way (mallex is stopping). Each brings its code on its first use
 * (the compiler, the GGUF reader, the eval): a proxy's start and its idle memory never pay for them.
 */
export function createModelActions(options: ModelActionsOptions): ModelActions & { close(): void } {
  const { layers, cwd, env, mallexHome } = options;
  const closing = new AbortController();
  let validator: Promise<ConfigValidator> | undefined;
  let ramGb: Promise<number> | undefined;
  let downloading = false;
  // The changes this mallex planned, newest last: an apply writes one of them, never a text a client made up
  // (a config can name the commands mallex runs; the page's token must not be a way to write one).
  const planned: string[] = [];
  let evaluating: string | undefined;
  const config = async (): Promise<UserConfig> => ({
    file: layers.entry,
    role: layers.files[layers.files.length - 1]!.role,
    under: layers.under,
    cwd,
    env,
    packageRoot: options.packageRoot,
    validator: await (validator ??= import("../../compile/compile-config.js").then(({ loadConfigValidator }) => loadConfigValidator(options.packageRoot))),
  });
  const places = { env, homedir: homedir(), cwd, mallexHome };
  const running = (): ActionResult<RunningProxy> => {
    const proxy = options.proxy();
    return proxy === undefined ? refuse(503, "this mallex is still starting: try again in a moment") : { ok: true, value: proxy };
  };

  return {
    async planTierChange(body) {
      const [{ planTierChange }, { detectHardware }] = await Promise.all([
        import("../../models/actions/plan-tier-change.js"),
        import("../../setup/detect-hardware.js"),
      ]);
      const plan = await planTierChange(body, {
        ...places,
        config: await config(),
        ramGb: await (ramGb ??= detectHardware().then((hardware) => hardware.ramGb)),
      });
      if (plan.ok && planned.push(planKey(plan.value.hash, plan.value.newText)) > MAX_PLANS) planned.shift();
      return plan;
    },

    async applyTierChange(body) {
      const { hash, newText } = (typeof body === "object" && body !== null ? body : {}) as { hash?: unknown; newText?: unknown };
      if (typeof hash === "string" && typeof newText === "string" && !planned.includes(planKey(hash, newText)))
        return refuse(409, "this change was not planned by this mallex (or it has planned many since): plan it again, then apply what the plan gives");
      const { applyTierChange } = await import("../../models/actions/apply-tier-change.js");
      const written = applyTierChange(body, await config());
      if (!written.ok) return written;
      let notes: string[];
      let served = true;
      try {
        notes = await options.reload();
      } catch (error) {
        served = false;
        const why = MallexError.isInstance(error) ? [error.message, ...error.details].join("\n") : (error as Error).message;
        notes = [`the file is written, but this mallex could not take it (${why}): start mallex again to serve it`];
      }
      if (options.servedBy !== undefined)
        notes.unshift(`this mallex serves every local tier with ${options.servedBy}: the model itself changes when mallex starts without it`);
      const tiers = Object.fromEntries(Object.entries(options.proxy()?.table().tiers ?? {}).map(([name, tier]) => [name, tier?.profile]));
      return { ok: true, value: { ...written.value, served, tiers, notes } };
    },

    async download(body) {
      const { checkDownload, downloadModel } = await import("../../models/actions/download-model.js");
      const request = checkDownload(body, mallexHome);
      if (!request.ok) return request;
      if (downloading) return refuse(409, "a download is under way: wait for it to finish");
      return {
        ok: true,
        run: async (progress, signal) => {
          if (downloading) return refuse(409, "a download is under way: wait for it to finish");
          downloading = true;
          try {
            return await downloadModel(request.value, {
              mallexHome,
              env,
              onProgress: (event) => progress({ type: "progress", ...event }),
              signal: AbortSignal.any([signal, closing.signal]),
            });
          } finally {
            downloading = false;
          }
        },
      };
    },

    async removeModel(body) {
      const proxy = running();
      if (!proxy.ok) return proxy;
      const { removeModel } = await import("../../models/actions/remove-model.js");
      return removeModel(body, { ...places, table: proxy.value.table() });
    },

    async startEval(body) {
      const request = readFields(body, { required: ["profile"], optional: ["task"] });
      if (!request.ok) return request;
      const proxy = running();
      if (!proxy.ok) return proxy;
      const { profile, task } = request.value;
      const table = proxy.value.table();
      if (table.profiles[profile] === undefined)
        return refuse(404, `the config has no profile ${JSON.stringify(profile)} (it has ${Object.keys(table.profiles).join(", ")})`);
      if (evaluating !== undefined) return refuse(409, `an eval of ${evaluating} is under way: one runs at a time; its progress is on the Eval tab`);
      const [{ loadSuite }, { runDashboardEval }] = await Promise.all([import("../../eval/load-suite.js"), import("./run-dashboard-eval.js")]);
      const suite = join(options.packageRoot, "eval", "suite");
      const only = task === undefined ? [] : [task];
      let tasks;
      try {
        tasks = loadSuite(suite, only);
      } catch (error) {
        if (MallexError.isInstance(error)) return refuse(400, error.message);
        throw error;
      }
      evaluating = profile;
      void runDashboardEval({
        proxy: proxy.value,
        profile,
        tasks,
        suite,
        only,
        packageRoot: options.packageRoot,
        mallexHome,
        env,
        signal: closing.signal,
        log: options.log,
      }).finally(() => (evaluating = undefined));
      return { ok: true, status: 202, value: { profile, tasks: tasks.map((t) => t.name) } };
    },

    close: () => closing.abort(new Error("mallex is stopping")),
  };
}
