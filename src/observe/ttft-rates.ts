import { dirname, join } from "node:path";
import type { CompiledProfile } from "../compile/routing-table.js";
import { writeFileAtomicAsync } from "../shared/files/write-file-atomic.js";
import { addSample, type MeasuredRates, type RateSample } from "./learn-rates.js";
import { parseMeasuredServer, type MeasuredServer } from "./measured-server.js";
import { makePrivateDirAsync } from "../shared/files/private-files.js";
import { dictionary, isRecord, readProfileFile, type ByProfile } from "./read-profile-file.js";

/** The file in MALLEX_HOME that keeps what was learned across restarts. */
export const TTFT_RATES_FILE = "ttft-rates.json";
/** 2: each entry also keeps its times to first token (`ttftMs`), its server and when it last learned (`lastAt`); format 1 is still read. */
const FORMAT = 2;
const OLDER_FORMATS = [1] as const;

/** One profile and model's entry: its rates, and what the Models page shows beside them. */
export interface StoredRates extends MeasuredRates {
  /** The server of its latest sample (absent: learned by a mallex before format 2). */
  server?: MeasuredServer;
  /** When it last learned (RFC 3339). */
  lastAt?: string;
}

/**
 * Each profile's learned prefill and decode rates, keyed by the profile's name and its model (a
 * profile pointed at another model starts over), loaded when the proxy starts and written back to
 * MALLEX_HOME at most once per `debounceMs` while requests teach it, and on flush(). Beside them:
 * its recent times to first token and the server they were measured on (measured-speeds.ts lists them).
 */
export interface TtftRates {
  get(profile: Pick<CompiledProfile, "name" | "model">): StoredRates | undefined;
  /** `server`: the server that answered (describeServer); the entry keeps the latest. */
  learn(profile: Pick<CompiledProfile, "name" | "model">, sample: RateSample, server?: MeasuredServer): void;
  /** Writes what changed since the last write, now (the proxy's close). */
  flush(): Promise<void>;
}

export interface TtftRatesOptions {
  /** Where the rates are kept (see {@link ttftRatesPath}). */
  file: string;
  debounceMs?: number;
  /** Told when the file cannot be read or written: a log line, never a failed request. */
  onError(message: string): void;
  /** The clock for `lastAt` (default: Date.now). */
  now?: () => number;
}

export type StoredTtftRates = ByProfile<StoredRates>;

export const ttftRatesPath = (mallexHome: string) => join(mallexHome, TTFT_RATES_FILE);

export function createTtftRates(options: TtftRatesOptions): TtftRates {
  const rates = loadTtftRates(options.file, options.onError);
  const now = options.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let dirty = false;
  let writing: Promise<void> = Promise.resolve();
  const writeDirty = async () => {
    if (!dirty) return;
    dirty = false;
    try {
      await makePrivateDirAsync(dirname(options.file));
      await writeFileAtomicAsync(options.file, `${JSON.stringify({ format: FORMAT, profiles: rates }, null, 2)}\n`);
    } catch (error) {
      options.onError(`learned rates not saved to ${options.file}: ${(error as Error).message}`);
    }
  };
  // Off the event loop, one write at a time (a rename took milliseconds here).
  const write = () => {
    clearTimeout(timer);
    timer = undefined;
    writing = writing.then(writeDirty);
    return writing;
  };
  return {
    get: (profile) => rates[profile.name]?.[profile.model],
    learn(profile, sample, server) {
      const models = (rates[profile.name] ??= dictionary());
      const before = models[profile.model];
      const at = server ?? before?.server;
      models[profile.model] = { ...addSample(before, sample), ...(at !== undefined ? { server: at } : {}), lastAt: new Date(now()).toISOString() };
      dirty = true;
      // One write per burst of requests, off the request path; the timer never holds the process open.
      timer ??= setTimeout(write, options.debounceMs ?? 5_000).unref();
    },
    flush: write,
  };
}

/**
 * The stored rates (readProfileFile), format 2 or 1: a file that is not mallex's is reported, and
 * mallex learns again. Also what `mallex models` reads without a proxy (measured-speeds.ts).
 */
export function loadTtftRates(file: string, onError: (message: string) => void, instead = "learning again"): StoredTtftRates {
  return readProfileFile(file, { format: FORMAT, older: OLDER_FORMATS, what: "learned rates", parse: parseRates, instead, onError });
}

function parseRates(value: unknown, where: string): StoredRates {
  if (!isRecord(value)) throw new Error(`${where} is not an object`);
  const samples = (key: keyof MeasuredRates, least = Number.MIN_VALUE) => {
    const list = value[key] ?? [];
    if (!Array.isArray(list) || !list.every((n) => typeof n === "number" && Number.isFinite(n) && n >= least))
      throw new Error(`${where}: ${key} is not a list of ${least > 0 ? "positive" : "non-negative"} numbers`);
    return list as number[];
  };
  const rates: StoredRates = {
    prefill: samples("prefill"),
    decode: samples("decode"),
    tokenRatio: samples("tokenRatio"),
    sharedPrefix: samples("sharedPrefix", 0),
    ttftMs: samples("ttftMs"),
  };
  if (value.server !== undefined) rates.server = parseMeasuredServer(value.server, where);
  if (value.lastAt !== undefined) {
    if (typeof value.lastAt !== "string" || Number.isNaN(Date.parse(value.lastAt))) throw new Error(`${where}: lastAt is not a date`);
    rates.lastAt = value.lastAt;
  }
  return rates;
}
