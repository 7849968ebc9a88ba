import { join } from "node:path";
import { mlxLmRunsOn } from "../supervisor/mlx-lm-platform.js";
import { downloadedModelPath } from "./downloaded-model-path.js";
import { huggingFaceEndpoint, probeHuggingFace, type HubAnswer } from "./probe-hugging-face.js";
import { isLocal, profilesInUse, type ProfileInUse } from "./profiles-in-use.js";
import { HF_REPO, huggingFaceHubCache, huggingFaceRepoDir, localModelPath } from "../supervisor/locate-model.js";
import type { CheckResult, DoctorContext } from "./types.js";

/** A model's state on this machine; `download`: absent, fetched from `repo` (or a URL) on first start. */
type ModelHere = { kind: "done"; result: CheckResult } | { kind: "download"; entry: ProfileInUse; detail: string; fix: string; repo?: string; file?: string };

/**
 * For every model mallex would start itself: in the Hugging Face cache (mlx-lm), downloaded into
 * MALLEX_HOME/models (an embedded engine's `hf:` URI), or the file exists (GGUF). A model that is
 * not here yet is no failure while the Hub has it (the first start downloads it); it is one when
 * the Hub cannot be reached or refuses it, and a "hugging face" line says which.
 */
export async function checkModels(ctx: DoctorContext): Promise<CheckResult[]> {
  if (ctx.options.backendUrl) return [{ name: "model", ok: "skip", detail: "--backend-url: the running server has its model" }];
  const supervised = profilesInUse(ctx.table).filter((p) => isLocal(p) && p.backend.supervise);
  if (supervised.length === 0) return [{ name: "model", ok: "skip", detail: "mallex starts no model server for this config" }];
  const here = supervised.map((entry): ModelHere =>
    entry.backend.flavor === "mlx-lm" && !mlxLmRunsOn(ctx.hardware)
      ? { kind: "done", result: { name: `model ${entry.profile.name}`, ok: "skip", detail: "mlx-lm cannot run on this machine (see mlx-lm)" } }
      : checkModel(ctx, entry),
  );
  const fromHub = supervised.some((entry) => fromHuggingFace(ctx, entry));
  const repos = [...new Set(here.flatMap((model) => (model.kind === "download" && model.repo !== undefined ? [model.repo] : [])))];
  const timeoutMs = ctx.options.requestTimeoutMs ?? 5000;
  const answers = new Map(await Promise.all(repos.map(async (repo) => [repo, await probeHuggingFace(repo, ctx.deps, timeoutMs)] as const)));
  const results = here.map((model) =>
    model.kind === "done" ? model.result : toDownload(model, model.repo === undefined ? undefined : answers.get(model.repo)),
  );
  return fromHub ? [...results, hubLine(ctx, [...answers.values()], repos.length)] : results;
}

function checkModel(ctx: DoctorContext, entry: ProfileInUse): ModelHere {
  const { deps } = ctx;
  const model = entry.profile.model;
  const name = `model ${entry.profile.name}`;
  const remote = entry.backend.flavor === "embedded" ? downloadedModelPath(model, deps) : undefined;
  if (remote) {
    if (remote.localPath !== undefined && deps.exists(remote.localPath))
      return { kind: "done", result: { name, ok: true, detail: `${model} is downloaded (${remote.localPath})` } };
    const fix = `download the GGUF yourself and set profiles.${entry.profile.name}.model to its path (or pass it: mallex run --embedded PATH)`;
    return {
      kind: "download",
      entry,
      detail: `${model} is not downloaded yet`,
      fix,
      ...(remote.repo ? { repo: remote.repo } : {}),
      ...(remote.file ? { file: remote.file } : {}),
    };
  }
  const asPath = localModelPath(model, deps);
  // llama-server's -m takes a file; mlx-lm takes a Hugging Face repo id or a local folder.
  if (entry.backend.flavor !== "mlx-lm" || !HF_REPO.test(model) || deps.exists(asPath)) {
    return {
      kind: "done",
      result: deps.exists(asPath)
        ? { name, ok: true, detail: `${model} exists` }
        : { name, ok: false, detail: `${model} does not exist`, fix: `download the model file, or set profiles.${entry.profile.name}.model to its path` },
    };
  }
  const cache = huggingFaceHubCache(deps.env, deps.homedir);
  const dir = huggingFaceRepoDir(model, deps);
  const fix = `fetch it now: hf download ${model}`;
  const snapshots = deps.readdir(join(dir, "snapshots"));
  if (snapshots.length === 0) return { kind: "download", entry, detail: `${model} is not in the Hugging Face cache (${cache})`, fix, repo: model };
  if (deps.readdir(join(dir, "blobs")).some((file) => file.endsWith(".incomplete"))) {
    return { kind: "download", entry, detail: `${model} is only partly downloaded (${dir})`, fix, repo: model };
  }
  return { kind: "done", result: { name, ok: true, detail: `${model} is in the Hugging Face cache` } };
}

/** A model to download: fine (a warning) when the Hub has it or it is a plain URL; a failure when the Hub refuses or cannot be reached. */
function toDownload(model: Extract<ModelHere, { kind: "download" }>, answer: HubAnswer | undefined): CheckResult {
  const name = `model ${model.entry.profile.name}`;
  if (answer === undefined || answer.kind === "found") {
    if (answer?.files && model.file !== undefined && !answer.files.includes(model.file)) {
      return {
        name,
        ok: false,
        detail: `${model.detail}, and ${model.repo} on Hugging Face has no file ${model.file}`,
        fix: `check the file name (the repository lists ${answer.files.filter((file) => file.endsWith(".gguf")).length} .gguf files), or ${model.fix}`,
      };
    }
    const now = model.entry.backend.flavor === "mlx-lm" ? { fix: `or ${model.fix}` } : {};
    return { name, ok: true, warning: true, detail: `${model.detail}: \`mallex run\` downloads it on first start, which takes a while`, ...now };
  }
  if (answer.kind === "refused") return { name, ok: false, detail: `${model.detail}, and ${answer.reason}`, fix: model.fix };
  return { name, ok: false, detail: `${model.detail}, and Hugging Face is not reachable to download it`, fix: model.fix };
}

/** Whether Hugging Face was reachable, for the models that need it; not asked when every one is here. */
function hubLine(ctx: DoctorContext, answers: HubAnswer[], asked: number): CheckResult {
  const endpoint = huggingFaceEndpoint(ctx.deps.env);
  if (asked === 0) return { name: "hugging face", ok: "skip", detail: "every model in use is here; nothing to download" };
  const unreachable = answers.find((answer) => answer.kind === "unreachable");
  if (unreachable) {
    return {
      name: "hugging face",
      ok: false,
      detail: `${endpoint} is not reachable (${unreachable.reason})`,
      fix: "check this machine's network (HF_ENDPOINT points mallex at a mirror), or download the models elsewhere and give their paths",
    };
  }
  return { name: "hugging face", ok: true, detail: `${endpoint} is reachable` };
}

/** A model the Hub serves: an mlx-lm repository id, or an embedded engine's `hf:` URI. */
function fromHuggingFace(ctx: DoctorContext, entry: ProfileInUse): boolean {
  if (entry.backend.flavor === "mlx-lm")
    return mlxLmRunsOn(ctx.hardware) && HF_REPO.test(entry.profile.model) && !ctx.deps.exists(localModelPath(entry.profile.model, ctx.deps));
  return entry.backend.flavor === "embedded" && downloadedModelPath(entry.profile.model, ctx.deps)?.repo !== undefined;
}
