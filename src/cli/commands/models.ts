import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { defineCommand } from "citty";
import { compileConfig, loadConfigValidator } from "../../compile/compile-config.js";
import { describeConfigLayers, findConfigLayers } from "../../config/config-layers.js";
import { formatDiagnostic } from "../../config/diagnostics.js";
import { createModelsLister } from "../../models/create-models-lister.js";
import { formatMeasuredTable } from "../../models/format-measured-table.js";
import { formatModelsTable } from "../../models/format-models-table.js";
import { describeHardware, detectHardware } from "../../setup/detect-hardware.js";
import { MallexError } from "../../shared/mallex-error.js";
import { resolveMallexHome } from "../../shared/files/mallex-home.js";
import { findPackageRoot } from "../../shared/package-root.js";
import { huggingFaceHubCache } from "../../supervisor/locate-model.js";
import { configArgs } from "../args/common-args.js";
import { wantsColour } from "../show-usage.js";
import { printErr, printOut, terminalJson, terminalText } from "../terminal-text.js";

export default defineCommand({
  meta: {
    name: "models",
    description:
      "List this machine's models (GGUF, MLX) and the config's: what their files say (architecture, parameters, quantization, context), the profiles and tiers using each, whether it fits in memory, and each one's speed measured here and mallex eval scores",
  },
  args: {
    ...configArgs,
    json: {
      type: "boolean",
      description:
        "Print one JSON array, an object per model: name, path, format, architecture, params, quantization, sizeBytes, contextLength, profiles, tiers, fits, needsGb, state, problem, measured (speeds), evals (scores, newest first)",
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
    const list = createModelsLister({ env, homedir: homedir(), cwd, mallexHome, ramGb: async () => hardware.ramGb });
    const { models, problems } = await list(compiled.table);
    // What of MALLEX_HOME's measurements could not be read goes beside the list, never into it.
    const tell = () => {
      for (const problem of problems) printErr(`mallex: ${problem}`);
    };

    if (args.json) {
      // stdout is the JSON alone; which config it came from goes where every command says it.
      printErr(describeConfigLayers(layers, cwd));
      tell();
      printOut(terminalJson(models));
      return;
    }
    printOut([describeConfigLayers(layers, cwd), `machine: ${describeHardware(hardware)}`, ""]);
    tell();
    if (models.length === 0) {
      printOut(
        `No models: no GGUF in ${join(mallexHome, "models")}, no model in the Hugging Face cache (${huggingFaceHubCache(env, homedir())}), and no profile of the config runs on a server mallex starts.`,
      );
      return;
    }
    // Escaped cell by cell before the colours go on: a name or an architecture comes from a file.
    const escape = (text: string) => terminalText([text]);
    console.log([...formatModelsTable(models, { colour: wantsColour(process.stdout, env), escape }), "", ...formatMeasuredTable(models, escape)].join("\n"));
  },
});
