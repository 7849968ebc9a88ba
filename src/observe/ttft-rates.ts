import { dirname, join } from "node:path";
import type { CompiledProfile } from "../compile/routing-table.js";
import type { LearnedRates } from "../router/predict-ttft.js";
import { writeFileAtomicAsync } from "../shared/write-file-atomic.js";
import { addSample, type RateSample } from "./learn-rates.js";
import { makePrivateDirAsync } from "../shared/private-files.js";
import { dictionary, isRecord, readProfileFile, type ByProfile } from "./read-profile-file.js";

/** The file in MALLEX_HOME that keeps what was learned across restarts. */
export const TTFT_RATES_FILE = "ttft-rates.json";
const FORMAT = 1;

/**
 * Each profile's learned prefill and decode rates, keyed by the profile's name and its model (a
 * profile pointed at another model starts over), loaded when the proxy starts and written back to
 * MALLEX_HOME at most once per `debounceMs` while requests teach it, and on flush().
 */
export interface TtftRates {
  get(profile: Pick<CompiledProfile, "name" | "model">): LearnedRates | undefined;
  learn(profile: Pick<CompiledProfile, "name" | "model">, sample: RateSample): void;
  /** Writes what changed since the last write, now (the proxy's close). */
  flush(): Promise<void>;
}

export interface TtftRatesOptions {
  /** Where the rates are kept (see {@link ttftRatesPath}). */
  file: string;
  debounceMs?: number;
  /** Told when the file cannot be read or written: a log line, never a failed request. */
  onError(message: string): void;
}

type Stored = ByProfile<LearnedRates>;

export const ttftRatesPath = (mallexHome: string) => join(mallexHome, TTFT_RATES_FILE);

export function createTtftRates(options: TtftRatesOptions): TtftRates {
  const rates = load(options.file, options.onError);
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
    learn(profile, sample) {
      const models = (rates[profile.name] ??= dictionary());
      models[profile.model] = addSample(models[profile.model], sample);
      dirty = true;
      // One write per burst of requests, off the request path; the timer never holds the process open.
      timer ??= setTimeout(write, options.debounceMs ?? 5_000).unref();
    },
    flush: write,
  };
}

/** The stored rates (readProfileFile): a file that is not mallex's is reported, and mallex learns again. */
function load(file: string, onError: (message: string) => void): Stored {
  return readProfileFile(file, { format: FORMAT, what: "learned rates", parse: parseRates, instead: "learning again", onError });
}

function parseRates(value: unknown, where: string): LearnedRates {
  if (!isRecord(value)) throw new Error(`${where} is not an object`);
  const samples = (key: keyof LearnedRates, least = Number.MIN_VALUE) => {
    const list = value[key] ?? [];
    if (!Array.isArray(list) || !list.every((n) => typeof n === "number" && Number.isFinite(n) && n >= least))
      throw new Error(`${where}: ${key} is not a list of ${least > 0 ? "positive" : "non-negative"} numbers`);
    return list as number[];
  };
  return { prefill: samples("prefill"), decode: samples("decode"), tokenRatio: samples("tokenRatio"), sharedPrefix: samples("sharedPrefix", 0) };
}
