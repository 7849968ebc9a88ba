import { defineCommand } from "citty";
import { createDoctorDeps } from "../../doctor/create-doctor-deps.js";
import { formatCheck, runDoctor } from "../../doctor/run-doctor.js";
import { MallexError } from "../../shared/mallex-error.js";
import { findPackageRoot } from "../../shared/package-root.js";
import { configArgs, proxyArgs } from "../args/common-args.js";
import { findConfigLayers } from "../../config/config-layers.js";
import { repeatedOption } from "../args/repeated-option.js";
import { printErr, printOut, terminalJson } from "../terminal-text.js";

export default defineCommand({
  meta: { name: "doctor", description: "Check config, Python/mlx-lm, model, ports, backend, Claude Code and API keys; one line each with the fix" },
  args: {
    ...configArgs,
    "backend-url": proxyArgs["backend-url"],
    json: { type: "boolean", description: "Print the checks as JSON" },
  },
  async run({ args, rawArgs }) {
    const backendUrl = args["backend-url"];
    // Given more than once, a pool as `mallex proxy` would use it: each server is probed.
    const backendUrls = repeatedOption(rawArgs, "backend-url");
    for (const url of [...backendUrls, ...(backendUrl === undefined ? [] : [backendUrl])]) {
      if (!/^https?:\/\/[^/]+(\/.*)?$/.test(url))
        throw new MallexError("E_USAGE", `--backend-url must be an http(s) URL ending in /v1, got "${url}"`, { exitCode: 2 });
    }
    const cwd = process.cwd();
    const packageRoot = findPackageRoot();
    const config = findConfigLayers(args.config, cwd, packageRoot);
    const report = await runDoctor(
      { config, ...(backendUrl ? { backendUrl } : {}), ...(backendUrls.length > 1 ? { backendUrls } : {}) },
      createDoctorDeps({ cwd, env: process.env, packageRoot }),
    );
    if (args.json) {
      printOut(terminalJson(report));
    } else {
      for (const line of report.diagnostics) printErr(line);
      for (const check of report.checks) printOut([formatCheck(check)]);
      const failed = report.checks.filter((c) => c.ok === false).length;
      console.log(failed === 0 ? "All checks passed." : `${failed} check${failed === 1 ? "" : "s"} failed.`);
    }
    // A failed check is a finding, not an error: the lines above already said what to do.
    if (!report.ok) process.exitCode = 1;
  },
});
