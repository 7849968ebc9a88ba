import { formatNumber } from "../shared/format-number.js";
import type { ModelEntry } from "./model-entry.js";

export interface ModelsTableOptions {
  /** ANSI colours for fits and state (a terminal that wants them: cli/show-usage.ts wantsColour). */
  colour?: boolean;
  /** Makes a cell safe to print (cli/terminal-text.ts): names and architectures come from files. */
  escape?: (text: string) => string;
}

const HEADER = ["model", "format", "arch", "params", "quant", "size", "context", "fits", "used by", "state", "path"];

/**
 * `mallex models`' table: one line a model, then a line for each one that is unreadable or not
 * complete, saying why. Pure.
 *
 *   model                               format  arch   params  quant   size    context  fits          used by            state    path
 *   Qwen2.5-Coder-1.5B-Instruct.Q4_K_M  gguf    qwen2  1.78B   Q4_K_M  1.0 GB  32,768   yes (1.2 GB)  coder (low, medium)  on disk  /home/me/.mallex/models/…
 */
export function formatModelsTable(models: readonly ModelEntry[], options: ModelsTableOptions = {}): string[] {
  const escape = options.escape ?? ((text: string) => text);
  const rows = models.map((model) => modelCells(model).map(escape));
  const widths = HEADER.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (values: readonly string[], paint: (i: number, padded: string) => string = (_, padded) => padded) =>
    values
      .map((value, i) => paint(i, i === values.length - 1 ? value : value.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  const out = [line(HEADER), ...rows.map((row, r) => line(row, options.colour ? painter(models[r]!) : undefined))];
  // A model not downloaded yet is no news (its state says so); one that is broken or half there is.
  for (const model of models)
    if (model.problem !== null && model.state !== "not downloaded") out.push(escape(`${model.name}: ${model.state}: ${model.problem}`));
  return out;
}

/** A model's cells in the table's words (HEADER's columns): the dashboard's Models tab shows the same. */
export function modelCells(model: ModelEntry): string[] {
  return [
    model.name,
    model.format,
    model.architecture ?? "-",
    model.params === null ? "-" : formatParams(model.params),
    model.quantization ?? "-",
    model.sizeBytes === null ? "-" : formatBytes(model.sizeBytes),
    model.contextLength === null ? "-" : formatNumber(model.contextLength),
    model.needsGb === null ? "?" : `${model.fits === null ? "?" : model.fits ? "yes" : "no"} (${formatNeed(model.needsGb)} GB)`,
    describeUse(model),
    model.state,
    model.path ?? "-",
  ];
}

/** 1.234 → "1.2", 32 → "32", 0.002 → "<0.1". */
function formatNeed(gb: number): string {
  return gb < 0.1 ? "<0.1" : String(Number(gb.toFixed(1)));
}

/** "coder (low, medium)", "a, b (high)", "coder", "-". */
function describeUse(model: ModelEntry): string {
  if (model.profiles.length === 0) return "-";
  return `${model.profiles.join(", ")}${model.tiers.length > 0 ? ` (${model.tiers.join(", ")})` : ""}`;
}

/** 1_777_088_000 → "1.78B", 134_515_008 → "135M", 292_800 → "293K": three significant digits. */
export function formatParams(params: number): string {
  for (const [unit, size] of [
    ["T", 1e12],
    ["B", 1e9],
    ["M", 1e6],
    ["K", 1e3],
  ] as const) {
    const value = Number((params / size).toPrecision(3));
    if (value >= 1) return `${value}${unit}`;
  }
  return String(params);
}

const KIB = 1024;

/** Bytes as GB, MB or KB of 1024 (as the memory budget and Activity Monitor count them): "1.0 GB", "94 MB". */
export function formatBytes(bytes: number): string {
  if (bytes >= KIB ** 3) return `${(bytes / KIB ** 3).toFixed(1)} GB`;
  if (bytes >= KIB ** 2) return `${Math.round(bytes / KIB ** 2)} MB`;
  return `${Math.max(1, Math.round(bytes / KIB))} KB`;
}

/** Green "yes", red "no"; the state red when unreadable, yellow when the model is not all here (or not here at all). */
function painter(model: ModelEntry): (i: number, padded: string) => string {
  return (i, padded) => {
    if (i === 7 && model.fits !== null) return colour(padded, model.fits ? 32 : 31);
    if (i === 9 && model.state !== "on disk") return colour(padded, model.state === "unreadable" ? 31 : 33);
    return padded;
  };
}

function colour(text: string, code: number): string {
  const end = text.trimEnd().length;
  return `\u001b[${code}m${text.slice(0, end)}\u001b[39m${text.slice(end)}`;
}
