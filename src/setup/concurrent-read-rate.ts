/** One reader thread's passes over its buffer: when it began and when each pass ended (ms, one clock for all threads). */
export interface ReaderPasses {
  bytesPerPass: number;
  start: number;
  ends: number[];
}

/**
 * The fastest rate, in GB/s (10^9 bytes), at which all the threads read at once: the window in which
 * every thread was reading is cut into slices of about `sliceMs`, each slice counts what every thread
 * read inside it (a pass split across a slice's edge counts its share, the pass read at one pace), and
 * the best slice wins. Each thread's own fastest pass, summed, is no such rate: one thread's fastest
 * pass is often the one the other read nothing beside (a thread that woke late, ended first or lost
 * its core), so it counted a core's solo rate once per thread: 39–84 GB/s on one idle 2-vCPU VM whose
 * threads read 37–54 together. Undefined when the threads never read at the same time. Pure.
 */
export function concurrentReadRate(readers: readonly ReaderPasses[], sliceMs: number): number | undefined {
  if (readers.length === 0 || readers.some((reader) => reader.ends.length === 0)) return undefined;
  const from = Math.max(...readers.map((reader) => reader.start));
  const to = Math.min(...readers.map((reader) => reader.ends.at(-1)!));
  if (!(to > from)) return undefined;
  const slices = Math.max(1, Math.floor((to - from) / sliceMs));
  const width = (to - from) / slices;
  let best = 0;
  for (let slice = 0; slice < slices; slice++) {
    const begin = from + slice * width;
    const end = begin + width;
    const bytes = readers.reduce((sum, reader) => sum + bytesWithin(reader, begin, end), 0);
    best = Math.max(best, bytes / (width / 1000) / 1e9);
  }
  return best;
}

function bytesWithin(reader: ReaderPasses, begin: number, end: number): number {
  let bytes = 0;
  let passStart = reader.start;
  for (const passEnd of reader.ends) {
    const overlap = Math.min(passEnd, end) - Math.max(passStart, begin);
    if (overlap > 0 && passEnd > passStart) bytes += (reader.bytesPerPass * overlap) / (passEnd - passStart);
    passStart = passEnd;
  }
  return bytes;
}
