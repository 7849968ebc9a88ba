import { readFileSync } from "node:fs";

/** What mallex keeps per profile and model in a file of MALLEX_HOME: `{ format, profiles: { name: { model: T } } }`. */
export type ByProfile<T> = Record<string, Record<string, T>>;

export interface ReadProfileFileOptions<T> {
  /** The format mallex writes now. */
  format: number;
  /** Older formats it still reads, by the same `parse` (absent: none). */
  older?: readonly number[];
  /** What the file holds, for the messages ("learned rates"). */
  what: string;
  /** One entry read, or a throw saying what is wrong with it (`where`: "profile (model)"). */
  parse(value: unknown, where: string): T;
  /** What happens instead, after the reason: "learning again". */
  instead: string;
  onError(message: string): void;
}

/**
 * Such a file read; a missing one is a first start. A file that is not what mallex writes is reported
 * and not used, never a reason not to start.
 */
export function readProfileFile<T>(file: string, options: ReadProfileFileOptions<T>): ByProfile<T> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT")
      options.onError(`${options.what} not read from ${file}: ${(error as Error).message}; ${options.instead}`);
    return dictionary();
  }
  try {
    const parsed = JSON.parse(text) as { format?: unknown; profiles?: unknown };
    const known = parsed.format === options.format || options.older?.includes(parsed.format as number) === true;
    if (!known || !isRecord(parsed.profiles)) throw new Error(`not a format ${options.format} ${options.what} file`);
    const stored: ByProfile<T> = dictionary();
    for (const [name, models] of Object.entries(parsed.profiles)) {
      if (!isRecord(models)) throw new Error(`profile ${name} is not an object`);
      const byModel = (stored[name] = dictionary<T>());
      for (const [model, value] of Object.entries(models)) byModel[model] = options.parse(value, `${name} (${model})`);
    }
    return stored;
  } catch (error) {
    options.onError(`${options.what} in ${file} ignored, ${options.instead}: ${(error as Error).message}`);
    return dictionary();
  }
}

/** An object without a prototype: names from a file (`__proto__` included) are only keys. */
export const dictionary = <T>(): Record<string, T> => Object.create(null) as Record<string, T>;

export const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
