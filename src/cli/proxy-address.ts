import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { makePrivateDir } from "../private-files.js";
import { writeFileAtomic } from "../write-file-atomic.js";

/**
 * Where the running mallex listens, in MALLEX_HOME/proxy.json: how `mallex status` finds it from
 * another terminal (its port may be any free one, as under `mallex run`). The last mallex started
 * wins; each removes the file at its end if it is still its own.
 */
export interface ProxyAddress {
  url: string;
  pid: number;
  startedAt: string;
  /** The token `mallex run` made for its session (none other is ever written): the file is the user's alone (0600). */
  token?: string;
}

export const proxyAddressPath = (home: string): string => join(home, "proxy.json");

export function writeProxyAddress(home: string, address: ProxyAddress): void {
  makePrivateDir(home);
  writeFileAtomic(proxyAddressPath(home), `${JSON.stringify(address, null, 2)}\n`);
}

/** The address, or undefined when no mallex wrote one (or the file is not one). */
export function readProxyAddress(home: string): ProxyAddress | undefined {
  try {
    const value = JSON.parse(readFileSync(proxyAddressPath(home), "utf8")) as Partial<ProxyAddress>;
    return typeof value.url === "string" && typeof value.pid === "number" ? (value as ProxyAddress) : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the file if `pid` wrote it: a mallex started after this one keeps its own. */
export function removeProxyAddress(home: string, pid: number): void {
  if (readProxyAddress(home)?.pid === pid) rmSync(proxyAddressPath(home), { force: true });
}
