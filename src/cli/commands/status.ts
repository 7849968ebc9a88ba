import { defineCommand } from "citty";
import type { DashboardMessage } from "../../observe/dashboard/dashboard-feed.js";
import { MallexError } from "../../shared/mallex-error.js";
import { readResponseStart } from "../../shared/read-body-text.js";
import { resolveMallexHome } from "../../shared/files/mallex-home.js";
import { createMessageFormatter, formatStatus } from "../format-status.js";
import { parseCount } from "../args/parse-count.js";
import { pickProxies, type ProxyTarget } from "../pick-proxies.js";
import { liveProxies, proxiesDir } from "../../supervisor/processes/proxy-records.js";
import { printErr, printOut } from "../terminal-text.js";

type Snapshot = Extract<DashboardMessage, { type: "snapshot" }>;

export default defineCommand({
  meta: {
    name: "status",
    description:
      "Show the running mallex's model servers and last requests (the dashboard's summary, in the terminal); every running mallex, when several share MALLEX_HOME",
  },
  args: {
    url: { type: "string", description: "The mallex to ask (default: those that run, from MALLEX_HOME/proxies)", valueHint: "url" },
    port: { type: "string", description: "Only the running mallex that listens on this port (when several run)", valueHint: "port" },
    token: { type: "string", description: "Its token, where it has one (default: the one `mallex run` made, else $MALLEX_TOKEN)", valueHint: "token" },
    requests: { type: "string", alias: "n", description: "How many of the last requests to show (default 10)", valueHint: "n" },
    follow: { type: "boolean", alias: "f", description: "Keep printing each request and server change until Ctrl-C" },
  },
  async run({ args }) {
    const home = resolveMallexHome(process.env);
    const port = parseCount(args.port, "--port", 1);
    if (port !== undefined && port > 65535) throw new MallexError("E_USAGE", `--port must be a port number, got "${args.port}"`, { exitCode: 2 });
    if (port !== undefined && args.url !== undefined)
      throw new MallexError("E_USAGE", "--url (any mallex) and --port (a running one of this MALLEX_HOME) exclude each other: pass one.", { exitCode: 2 });
    const count = parseCount(args.requests, "--requests", 1) ?? 10;
    const targets = pickProxies(
      liveProxies(home),
      {
        ...(args.url !== undefined ? { url: args.url } : {}),
        ...(port !== undefined ? { port } : {}),
        ...(args.token !== undefined ? { token: args.token } : {}),
        follow: args.follow === true,
      },
      { dir: proxiesDir(home), ...(process.env.MALLEX_TOKEN ? { envToken: process.env.MALLEX_TOKEN } : {}) },
    );

    if (!args.follow) {
      const shown = await Promise.allSettled(
        targets.map(async (target) =>
          formatStatus(target.url, await snapshotOf(target), {
            requests: count,
            now: Date.now(),
            ...(target.pid !== undefined ? { pid: target.pid } : {}),
            ...(target.token !== undefined ? { token: target.token } : {}),
            ...(target.config !== undefined ? { config: target.config } : {}),
          }),
        ),
      );
      const failures = shown.flatMap((result) => (result.status === "rejected" ? [result.reason as unknown] : []));
      if (failures.length === targets.length) throw failures[0];
      const blocks = shown.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
      if (targets.length > 1) printOut([`${targets.length} mallex run on this MALLEX_HOME (--port N shows one):`, ""]);
      printOut(blocks.flatMap((lines, i) => (i === 0 ? lines : ["", ...lines])));
      for (const failure of failures) printErr((failure as Error).message);
      if (failures.length > 0) process.exitCode = 1;
      return;
    }
    const target = targets[0]!;
    const abort = new AbortController();
    process.once("SIGINT", () => abort.abort());
    const response = await ask(`${target.url}/ui/events`, target, abort.signal);
    let pending = "";
    // Where "\n\n" may begin in `pending`: each piece is searched once, not the whole of it again.
    let searchFrom = 0;
    const format = createMessageFormatter(target.url, count, () => Date.now(), target.pid, target.token);
    try {
      for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) {
        pending += chunk;
        let cut: number;
        while ((cut = pending.indexOf("\n\n", searchFrom)) !== -1) {
          const data = pending
            .slice(0, cut)
            .split("\n")
            .find((line) => line.startsWith("data:"));
          pending = pending.slice(cut + 2);
          searchFrom = 0;
          if (data !== undefined) printOut(format(parseAnswer(data.slice(5), target, "an event") as DashboardMessage));
        }
        searchFrom = Math.max(0, pending.length - 1);
        if (pending.length > MAX_SNAPSHOT_BYTES)
          throw new MallexError(
            "E_USAGE",
            `mallex at ${target.url} sent an event longer than ${MAX_SNAPSHOT_MIB} MiB, which no mallex sends: stopped reading it`,
          );
      }
    } catch (error) {
      if (MallexError.isInstance(error)) throw error;
      if (!abort.signal.aborted) throw new MallexError("E_USAGE", `The connection to mallex at ${target.url} broke: ${(error as Error).message}`);
      return;
    }
    if (!abort.signal.aborted) throw new MallexError("E_USAGE", `mallex at ${target.url} ended the stream (it stopped?)`);
  },
});

/** A mallex that takes this long for its snapshot is stuck (stopped with Ctrl-Z?): say so rather than wait. */
const SNAPSHOT_TIMEOUT_MS = 10_000;

/**
 * The most of a snapshot (or of one event, with -f) read: a mallex's holds at most 200 request
 * summaries, each of a few clipped strings, and comes to well under a megabyte. What answers with
 * more (another program on the port, a mallex gone wrong) is not held whole.
 */
const MAX_SNAPSHOT_BYTES = 16 * 1024 * 1024;
const MAX_SNAPSHOT_MIB = MAX_SNAPSHOT_BYTES / 1024 / 1024;

/** What of an error answer is read: its message is all that is shown. */
const MAX_ERROR_BYTES = 64 * 1024;

async function snapshotOf(target: ProxyTarget): Promise<Snapshot> {
  const response = await ask(`${target.url}/ui/api/snapshot`, target, AbortSignal.timeout(SNAPSHOT_TIMEOUT_MS));
  const { text, cut } = await readResponseStart(response, MAX_SNAPSHOT_BYTES).catch((error: unknown) => {
    const late = error instanceof Error && error.name === "TimeoutError";
    throw new MallexError(
      "E_USAGE",
      late
        ? `mallex at ${target.url} did not send its snapshot within ${SNAPSHOT_TIMEOUT_MS / 1000} s (stopped with Ctrl-Z?)`
        : `The connection to mallex at ${target.url} broke: ${(error as Error).message}`,
    );
  });
  if (cut)
    throw new MallexError(
      "E_USAGE",
      `mallex at ${target.url} answered with a snapshot larger than ${MAX_SNAPSHOT_MIB} MiB, which no mallex sends: stopped reading it`,
    );
  return parseAnswer(text, target, "a snapshot") as Snapshot;
}

/** JSON from the mallex asked, or a sentence saying it sent something else (another program on its port?). */
function parseAnswer(text: string, target: ProxyTarget, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new MallexError(
      "E_USAGE",
      `mallex at ${target.url} sent ${what} that is not JSON (is another program listening there?): ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`,
    );
  }
}

/** GET with every failure in words: nothing listening, a refused token, a mallex without a dashboard. */
async function ask(path: string, target: ProxyTarget, signal?: AbortSignal): Promise<Response> {
  const { url, pid } = target;
  const headers: Record<string, string> = target.token ? { authorization: `Bearer ${target.token}` } : {};
  let response: Response;
  try {
    response = await fetch(path, { headers, ...(signal ? { signal } : {}) });
  } catch {
    const whose = pid === undefined ? "" : ` (MALLEX_HOME records it as pid ${pid}, which still runs but does not answer)`;
    throw new MallexError("E_USAGE", `No mallex answers at ${url}${whose}. Start one with \`mallex proxy\` or \`mallex run\`, or pass --url.`);
  }
  if (response.status === 401) throw new MallexError("E_USAGE", `mallex at ${url} requires its token: pass --token (or set MALLEX_TOKEN).`);
  if (!response.ok) {
    const { text } = await readResponseStart(response, MAX_ERROR_BYTES).catch(() => ({ text: "" }));
    const body = (() => {
      try {
        return JSON.parse(text) as { error?: { message?: string } };
      } catch {
        return {};
      }
    })();
    throw new MallexError("E_USAGE", `mallex at ${url} answered ${response.status}: ${body.error?.message ?? "no summary"}`);
  }
  return response;
}
