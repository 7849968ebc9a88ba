import { defineCommand } from "citty";
import { MallexError } from "../../shared/mallex-error.js";
import { resolveMallexHome } from "../../shared/files/mallex-home.js";
import { formatServerStatus, formatStopReport, isSelected, listServers, pruneStale, stopServers } from "../../supervisor/processes/manage-servers.js";
import { followLog, readLogTail, serverLogPath } from "../../supervisor/server-log.js";
import { configArgs } from "../args/common-args.js";
import { liveProxies } from "../../supervisor/processes/proxy-records.js";
import { printOut, terminalText } from "../terminal-text.js";
import { waitForShutdown } from "../wait-for-shutdown.js";

const ACTIONS = ["status", "stop", "logs"] as const;

export default defineCommand({
  meta: { name: "server", description: "Manage the supervised local model server: status, stop, logs (works from any terminal)" },
  args: {
    ...configArgs,
    action: { type: "positional", description: "status | stop | logs", required: true, valueHint: "action" },
    key: {
      type: "positional",
      description: "Only this server (a key from `mallex server status`: every server of that key; or a server's pid)",
      required: false,
      valueHint: "key|pid",
    },
    follow: { type: "boolean", alias: "f", description: "logs: keep printing new lines until Ctrl-C" },
    lines: { type: "string", alias: "n", description: "logs: how many lines of the tail (default 50)", valueHint: "n" },
  },
  async run({ args }) {
    const action = String(args.action);
    if (!(ACTIONS as readonly string[]).includes(action)) {
      throw new MallexError("E_USAGE", `Unknown action "${action}": use \`mallex server status\`, \`mallex server stop\` or \`mallex server logs\`.`, {
        exitCode: 2,
      });
    }
    const home = resolveMallexHome(process.env);
    const key = typeof args.key === "string" && args.key !== "" ? args.key : undefined;

    if (action === "status") {
      // A record whose server no longer runs (its mallex was killed) is shown once, then removed.
      const servers = pruneStale(listServers(home).filter((s) => key === undefined || isSelected(s, key)));
      if (servers.length === 0) printOut(`No supervised model server is running (MALLEX_HOME=${home}).`);
      // Which mallex runs each: several may share this MALLEX_HOME.
      const proxyUrls = new Map(liveProxies(home).map((entry) => [entry.record.pid, entry.record.url]));
      for (const server of servers) printOut(formatServerStatus(server, proxyUrls));
      return;
    }

    if (action === "stop") {
      const reports = await stopServers(home, key === undefined ? {} : { keys: [key] });
      if (reports.length === 0) printOut(`No supervised model server to stop (MALLEX_HOME=${home}).`);
      for (const report of reports) printOut(formatStopReport(report));
      return;
    }

    const count = args.lines === undefined ? 50 : Number(args.lines);
    if (!Number.isInteger(count) || count < 0) throw new MallexError("E_USAGE", `--lines must be a whole number, got "${args.lines}"`, { exitCode: 2 });
    const file = serverLogPath(home);
    const tail = readLogTail(file, count);
    if (tail.length === 0 && !args.follow) printOut(`No server log yet (${file}).`);
    printOut(tail);
    if (!args.follow) return;
    const abort = new AbortController();
    void waitForShutdown().then(() => abort.abort());
    // A chunk may end mid-line: escaping is per character, so its pieces escape the same either way.
    await followLog(file, (text) => process.stdout.write(terminalText(text)), abort.signal);
  },
});
