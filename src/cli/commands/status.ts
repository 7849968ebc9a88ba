import { defineCommand } from "citty";
import type { DashboardMessage } from "../../server/dashboard/dashboard-feed.js";
import { MallexError } from "../../mallex-error.js";
import { resolveMallexHome } from "../../mallex-home.js";
import { createMessageFormatter, formatStatus } from "../format-status.js";
import { parseCount } from "../parse-count.js";
import { printOut } from "../terminal-text.js";
import { proxyAddressPath, readProxyAddress } from "../proxy-address.js";

export default defineCommand({
  meta: { name: "status", description: "Show the running mallex's model servers and last requests (the dashboard's summary, in the terminal)" },
  args: {
    url: { type: "string", description: "The mallex to ask (default: the last one started, from MALLEX_HOME/proxy.json)", valueHint: "url" },
    token: { type: "string", description: "Its token, where it has one (default: the one `mallex run` made, else $MALLEX_TOKEN)", valueHint: "token" },
    requests: { type: "string", alias: "n", description: "How many of the last requests to show (default 10)", valueHint: "n" },
    follow: { type: "boolean", alias: "f", description: "Keep printing each request and server change until Ctrl-C" },
  },
  async run({ args }) {
    const home = resolveMallexHome(process.env);
    const address = readProxyAddress(home);
    const url = (args.url ?? address?.url)?.replace(/\/+$/, "");
    if (url === undefined) throw new MallexError("E_USAGE", `No running mallex found: ${proxyAddressPath(home)} is missing. Start one with \`mallex proxy\` or \`mallex run\`, or pass --url.`);
    const token = args.token ?? (args.url === undefined ? address?.token : undefined) ?? process.env.MALLEX_TOKEN;
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const count = parseCount(args.requests, "--requests", 1) ?? 10;

    if (!args.follow) {
      const response = await ask(`${url}/ui/api/snapshot`, headers, url, address?.pid);
      const snapshot = (await response.json()) as Extract<DashboardMessage, { type: "snapshot" }>;
      printOut(formatStatus(url, snapshot, { requests: count, now: Date.now() }));
      return;
    }
    const abort = new AbortController();
    process.once("SIGINT", () => abort.abort());
    const response = await ask(`${url}/ui/events`, headers, url, address?.pid, abort.signal);
    let pending = "";
    const format = createMessageFormatter(url, count, () => Date.now());
    try {
      for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) {
        pending += chunk;
        let cut: number;
        while ((cut = pending.indexOf("\n\n")) !== -1) {
          const data = pending.slice(0, cut).split("\n").find((line) => line.startsWith("data:"));
          pending = pending.slice(cut + 2);
          if (data !== undefined) printOut(format(JSON.parse(data.slice(5)) as DashboardMessage));
        }
      }
    } catch (error) {
      if (!abort.signal.aborted) throw new MallexError("E_USAGE", `The connection to mallex at ${url} broke: ${(error as Error).message}`);
      return;
    }
    if (!abort.signal.aborted) throw new MallexError("E_USAGE", `mallex at ${url} ended the stream (it stopped?)`);
  },
});

/** GET with every failure in words: nothing listening, a refused token, a mallex without a dashboard. */
async function ask(target: string, headers: Record<string, string>, url: string, pid: number | undefined, signal?: AbortSignal): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(target, { headers, ...(signal ? { signal } : {}) });
  } catch {
    const whose = pid === undefined ? "" : ` (MALLEX_HOME/proxy.json says pid ${pid} started it; it may have ended without removing it)`;
    throw new MallexError("E_USAGE", `No mallex answers at ${url}${whose}. Start one with \`mallex proxy\` or \`mallex run\`, or pass --url.`);
  }
  if (response.status === 401) throw new MallexError("E_USAGE", `mallex at ${url} requires its token: pass --token (or set MALLEX_TOKEN).`);
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
    throw new MallexError("E_USAGE", `mallex at ${url} answered ${response.status}: ${body.error?.message ?? "no summary"}`);
  }
  return response;
}
