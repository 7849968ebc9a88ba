import { MallexError } from "../shared/mallex-error.js";
import type { ProxyEntry } from "../supervisor/processes/proxy-records.js";

/** A mallex `mallex status` asks: where, with which token, and which process the record says it is. */
export interface ProxyTarget {
  url: string;
  token?: string;
  pid?: number;
  /** The config line its record holds (config-layers.ts). */
  config?: string;
}

export interface PickProxiesArgs {
  url?: string;
  port?: number;
  token?: string;
  /** -f follows one stream: one mallex only. */
  follow: boolean;
}

/**
 * Pure: which of the running mallex (`live`, from MALLEX_HOME/proxies) `mallex status` shows. --url
 * names one outright; --port picks the one listening there; else every one that runs, since two
 * `mallex run` in two terminals are both the user's (-f follows one stream, so it needs the choice
 * made when there are several). A record's token goes only to the URL it was recorded with.
 */
export function pickProxies(live: readonly ProxyEntry[], args: PickProxiesArgs, where: { dir: string; envToken?: string }): ProxyTarget[] {
  const target = (url: string, entry?: ProxyEntry): ProxyTarget => {
    const token = args.token ?? entry?.record.token ?? where.envToken;
    return {
      url: url.replace(/\/+$/, ""),
      ...(token !== undefined ? { token } : {}),
      ...(entry ? { pid: entry.record.pid } : {}),
      ...(entry?.record.config !== undefined ? { config: entry.record.config } : {}),
    };
  };
  if (args.url !== undefined) {
    const url = args.url.replace(/\/+$/, "");
    return [
      target(
        url,
        live.find((entry) => entry.record.url.replace(/\/+$/, "") === url),
      ),
    ];
  }
  const candidates = args.port === undefined ? live : live.filter((entry) => portOf(entry.record.url) === args.port);
  if (candidates.length === 0) {
    if (live.length === 0)
      throw new MallexError("E_USAGE", `No running mallex found: ${where.dir} records none. Start one with \`mallex proxy\` or \`mallex run\`, or pass --url.`);
    throw new MallexError("E_USAGE", `No running mallex listens on port ${args.port}; the ones that run: ${live.map(describeProxy).join("; ")}.`);
  }
  if (args.follow && candidates.length > 1) {
    throw new MallexError(
      "E_USAGE",
      `${candidates.length} mallex run on this MALLEX_HOME: pass --port to follow one (${candidates.map(describeProxy).join("; ")}).`,
      { exitCode: 2 },
    );
  }
  return candidates.map((entry) => target(entry.record.url, entry));
}

/** `http://127.0.0.1:4000 (pid 123)`: how a list names a running mallex. */
export function describeProxy(entry: ProxyEntry): string {
  return `${entry.record.url} (pid ${entry.record.pid})`;
}

function portOf(url: string): number | undefined {
  if (!URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  if (parsed.port !== "") return Number(parsed.port);
  return parsed.protocol === "https:" ? 443 : parsed.protocol === "http:" ? 80 : undefined;
}
