import { rateOf } from "../router/predict-ttft.js";
import type { MeasuredServer } from "./measured-server.js";
import { loadTtftRates, ttftRatesPath, type StoredTtftRates } from "./ttft-rates.js";

/**
 * One model's speed on this machine, as its profile's requests measured it (ttft-rates.ts): what the
 * Models page and `mallex models` show beside the model. A rate is the median of the recent samples
 * (router/predict-ttft.ts `rateOf`, as routing and /metrics read it), undefined until 3 are known.
 */
export interface MeasuredSpeed {
  /** The profile's model: a Hugging Face id, a GGUF path, an hf: URI, as the config (or `--embedded`) names it. */
  model: string;
  /** The profile whose requests measured it (one model served by two profiles is two entries). */
  profile: string;
  /** Uncached prompt tokens per second. */
  prefillTps?: number;
  /** Tokens generated per second after the first. */
  decodeTps?: number;
  /** The backend's time to first token, from sending the request to the model's first token (no queue or model-load wait). */
  ttftMs?: number;
  /** How many recent requests each number is the median of (at most RATE_WINDOW, 9). */
  samples: { prefill: number; decode: number; ttft: number };
  /** The server of its latest request (absent: measured by a mallex before this was kept). */
  server?: MeasuredServer;
  /** When it last learned (RFC 3339; absent: as for server). */
  lastAt?: string;
}

/** Pure: the stored rates as one entry per profile and model, ordered by model, then profile. */
export function listMeasuredSpeeds(stored: StoredTtftRates): MeasuredSpeed[] {
  const speeds: MeasuredSpeed[] = [];
  for (const [profile, models] of Object.entries(stored))
    for (const [model, rates] of Object.entries(models)) {
      const speed: MeasuredSpeed = { model, profile, samples: { prefill: rates.prefill.length, decode: rates.decode.length, ttft: rates.ttftMs.length } };
      const prefill = rateOf(rates.prefill);
      const decode = rateOf(rates.decode);
      const ttft = rateOf(rates.ttftMs);
      if (prefill !== undefined) speed.prefillTps = Math.round(prefill);
      if (decode !== undefined) speed.decodeTps = Math.round(decode * 10) / 10;
      if (ttft !== undefined) speed.ttftMs = Math.round(ttft);
      if (rates.server !== undefined) speed.server = rates.server;
      if (rates.lastAt !== undefined) speed.lastAt = rates.lastAt;
      speeds.push(speed);
    }
  return speeds.sort((a, b) => compareText(a.model, b.model) || compareText(a.profile, b.profile));
}

/**
 * The speeds measured under this MALLEX_HOME, read now (a proxy that runs writes what it learns
 * within seconds). Never throws: a file that cannot be used is a problem named, and no speeds.
 */
export function readMeasuredSpeeds(mallexHome: string): { speeds: MeasuredSpeed[]; problems: string[] } {
  const problems: string[] = [];
  const stored = loadTtftRates(ttftRatesPath(mallexHome), (message) => problems.push(message), "no speeds shown");
  return { speeds: listMeasuredSpeeds(stored), problems };
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
