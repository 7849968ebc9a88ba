import type { NpmResult } from "./run-npm.js";

/** A failed npm run in two lines: what failed and why, then what to do. */
export interface NpmFailure {
  /** npm's error code (ENOTFOUND, E404, EBADPLATFORM…), or "ENOENT" when npm is not on PATH. */
  code: string;
  /** "npm could not reach the registry (getaddrinfo ENOTFOUND registry.npmjs.org)". */
  why: string;
  /** One sentence: what the user can do about it. */
  fix: string;
}

const NETWORK_CODES = new Set([
  "ENOTFOUND",
  "EAI_AGAIN",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ENETDOWN",
  "ERR_SOCKET_TIMEOUT",
  "EPROTO",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "CERT_HAS_EXPIRED",
]);

/**
 * What npm's failure report says, read from its stderr (npm ≥ 9 writes `npm error code X`, older ones
 * `npm ERR! code X`): the code, and the one line worth quoting — never the stack npm prints after a
 * FetchError (an unreachable registry's "request to URL failed, reason: …" is said as such, whatever
 * the code). `retry` is the command that tries again.
 */
export function explainNpmFailure(result: NpmResult, retry: string): NpmFailure {
  if (result.spawnError !== undefined) {
    return {
      code: result.spawnError,
      why: result.spawnError === "ENOENT" ? "npm is not on PATH" : `npm could not be started (${result.spawnError})`,
      fix: `Put npm (it comes with Node.js) on PATH and run \`${retry}\`, or use a model server that is already running (--backend-url).`,
    };
  }
  // npm's own error lines only: its warnings (an unknown config key, install scripts) say nothing about why it failed.
  const lines = result.stderr
    .split("\n")
    .filter((line) => /^npm (?:error|ERR!)/.test(line))
    .map((line) => line.replace(/^npm (?:error|ERR!)\s?/, "").trimEnd());
  const code = lines.map((line) => /^code (\S+)$/.exec(line)?.[1]).find((found) => found !== undefined) ?? "";
  const fetch = lines.map((line) => /request to (\S+) failed, reason: (.+)$/.exec(line)).find((match) => match !== null);
  if (fetch || NETWORK_CODES.has(code)) {
    return {
      code,
      why: fetch ? `npm could not reach ${fetch[1]} (${fetch[2]!.trim()})` : `npm could not reach the registry (${quote(lines, code)})`,
      fix: `Connect this machine to the network (or set npm's registry or proxy: \`npm config get registry\`) and run \`${retry}\`, or use a model server that is already running (--backend-url).`,
    };
  }
  const said = quote(lines, code);
  if (code === "E404" || code === "ETARGET" || code === "ENOVERSIONS") {
    return {
      code,
      why: `npm's registry does not have it (${said})`,
      fix: `Point npm at a registry that mirrors npmjs.org (\`npm config get registry\`) and run \`${retry}\`, or use a model server that is already running (--backend-url).`,
    };
  }
  if (code === "EBADPLATFORM" || code === "ENOTSUP") {
    return {
      code,
      why: `node-llama-cpp has no prebuilt binary for this machine (${said})`,
      fix: "Use a model server that runs here, started by mallex (--server-command) or already running (--backend-url).",
    };
  }
  if (code === "E401" || code === "E403" || code === "EAUTH" || code === "ENEEDAUTH") {
    return {
      code,
      why: `npm's registry refused it (${said})`,
      fix: `Log npm in to that registry (\`npm login\`) or point npm at one that serves npmjs.org's packages, then run \`${retry}\`.`,
    };
  }
  if (code === "ENOSPC")
    return { code, why: `the disk is full (${said})`, fix: `Free some space, or set MALLEX_HOME to a folder on a disk that has it, then run \`${retry}\`.` };
  if (code === "EACCES" || code === "EPERM")
    return { code, why: `npm may not write there (${said})`, fix: `Set MALLEX_HOME to a folder you own, then run \`${retry}\`.` };
  const log = /A complete log of this run can be found in:?\s+(\S+)/.exec(result.stderr)?.[1];
  return {
    code,
    why: `npm failed (${code ? `${code}: ` : ""}${said || `exit code ${result.exitCode}`})`,
    fix: `Run \`${retry}\` again${log ? `; npm's log of this run: ${log}` : ""}.`,
  };
}

/** npm's own sentence: its first line that is not a field of the error, a stack frame or the log's path. */
function quote(lines: readonly string[], code: string): string {
  const own = lines.find(
    (line) =>
      line.trim() !== "" && !/^(code|errno|syscall|path|dest) /.test(line) && !/^\s+at /.test(line) && !/^A complete log/.test(line) && line.trim() !== code,
  );
  return (own ?? "")
    .replace(/^(?:notsup|notarget|nospc|404|network)\s+/, "")
    .trim()
    .slice(0, 300);
}
