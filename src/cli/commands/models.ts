import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { defineCommand } from "citty";
import { compileConfig, loadConfigValidator } from "../../compile/compile-config.js";
import { describeConfigLayers, findConfigLayers } from "../../config/config-layers.js";
import { formatDiagnostic } from "../../config/diagnostics.js";
import { formatModelsTable } from "../../models/format-models-table.js";
import { listModels } from "../../models/list-models.js";
import { describeHardware, detectHardware } from "../../setup/detect-hardware.js";
import { MallexError } from "../../shared/mallex-error.js";
import { resolveMallexHome } from "../../shared/mallex-home.js";
import { findPackageRoot } from "../../shared/package-root.js";
import { huggingFaceHubCache } from "../../supervisor/locate-model.js";
import { configArgs } from "../common-args.js";
import { wantsColour } from "../show-usage.js";
import { printErr, printOut, terminalJson, terminalText } from "../terminal-text.js";

export default defineCommand({
  meta: {
    name: "models",
    description:
      "List this machine's models (GGUF, MLX) and the config's: what their files say (architecture, parameters, quantization, context), the profiles and tiers using each, whether it fits in memory",
  },
  args: {
    ...configArgs,
    json: {
      type: "boolean",
      description:
        "Print one JSON array, an object per model: name, path, format, architecture, params, quantization, sizeBytes, contextLength, profiles, tiers, fits, needsGb, state, problem",
    },
  },
  async run({ args }) {
    const cwd = process.cwd();
    const env = process.env;
    const packageRoot = findPackageRoot();
    const layers = findConfigLayers(args.config, cwd, packageRoot);
    // In memory, as doctor compiles it: listing models writes nothing.
    const compiled = compileConfig({
      configPath: layers.entry,
      under: layers.under,
      outDir: join(dirname(layers.entry), "generated"),
      cwd,
      env,
      packageRoot,
      validator: await loadConfigValidator(packageRoot),
    });
    if (!compiled.table)
      throw new MallexError("E_CONFIG_INVALID", `✗ ${describeConfigLayers(layers, cwd)} has errors; fix them and run \`mallex models\` again`, {
        details: compiled.diagnostics.map(formatDiagnostic),
      });
    for (const warning of compiled.diagnostics) printErr(formatDiagnostic(warning));
    const hardware = await detectHardware();
    const mallexHome = resolveMallexHome(env);
    const models = await listModels({ table: compiled.table, ramGb: hardware.ramGb, env, homedir: homedir(), cwd, mallexHome });

    if (args.json) {
      // stdout is the JSON alone; which config it came from goes where every command says it.
      printErr(describeConfigLayers(layers, cwd));
      printOut(terminalJson(models));
      return;
    }
    printOut([describeConfigLayers(layers, cwd), `machine: ${describeHardware(hardware)}`, ""]);
    if (models.length === 0) {
      printOut(
        `No models: no GGUF in ${join(mallexHome, "models")}, no model in the Hugging Face cache (${huggingFaceHubCache(env, homedir())}), and no profile of the config runs on a server mallex starts.`,
      );
      return;
    }
    // Escaped cell by cell before the colours go on: a name or an architecture comes from a file.
    console.log(formatModelsTable(models, { colour: wantsColour(process.stdout, env), escape: (text) => terminalText([text]) }).join("\n"));
  },
});
