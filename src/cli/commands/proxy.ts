import { dirname, join } from "node:path";
import { defineCommand } from "citty";
import { ensureCompiled } from "../../compile/ensure-compiled.js";
import { formatDiagnostic } from "../../config/diagnostics.js";
import { loadValidator } from "../../load-validator.js";
import { loadTemplates } from "../../templates/load-templates.js";
import { resolveMallexHome } from "../../mallex-home.js";
import { MallexError } from "../../mallex-error.js";
import { findPackageRoot } from "../../package-root.js";
import { startProxy } from "../../server/start-proxy.js";
import { proxyArgs } from "../common-args.js";
import { findConfig } from "../find-config.js";
import { waitForShutdown } from "../wait-for-shutdown.js";

export default defineCommand({
  meta: { name: "proxy", description: "Serve the Anthropic Messages API on 127.0.0.1 and route to the configured backends (no Claude Code launch)" },
  args: proxyArgs,
  async run({ args }) {
    if (args["server-command"]) throw new MallexError("E_NOT_AVAILABLE", "--server-command (supervising the model server) is not available in this version yet; start the server yourself and pass --backend-url.", { exitCode: 2 });
    const port = args.port === undefined ? undefined : Number(args.port);
    if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new MallexError("E_USAGE", `--port must be a port number, got "${args.port}"`, { exitCode: 2 });
    const backendUrl = args["backend-url"];
    if (backendUrl !== undefined && !/^https?:\/\/[^/]+(\/.*)?$/.test(backendUrl)) throw new MallexError("E_USAGE", `--backend-url must be an http(s) URL ending in /v1, got "${backendUrl}"`, { exitCode: 2 });

    const cwd = process.cwd();
    const packageRoot = findPackageRoot();
    const configPath = findConfig(args.config, cwd, packageRoot);
    const generatedDir = join(dirname(configPath), "generated");
    const compiled = await ensureCompiled({ configPath, outDir: generatedDir, cwd, env: process.env, packageRoot });
    for (const warning of compiled.warnings) console.error(formatDiagnostic(warning));
    if (compiled.writeError) console.error(`mallex: ${compiled.writeError} (using the freshly compiled table)`);

    const proxy = await startProxy({
      table: compiled.table,
      templates: await loadTemplates(generatedDir),
      validateMessages: await loadValidator(packageRoot, "validate-messages"),
      env: process.env,
      mallexHome: resolveMallexHome(process.env),
      ...(port !== undefined ? { port } : {}),
      ...(backendUrl ? { backendUrl } : {}),
      print: (line) => console.error(line),
    });
    console.log(`mallex proxy listening on ${proxy.url}${backendUrl ? ` → ${backendUrl}` : ""}`);
    console.log(`  claude: ANTHROPIC_BASE_URL=${proxy.url} claude`);
    await waitForShutdown();
    await proxy.close();
  },
});
