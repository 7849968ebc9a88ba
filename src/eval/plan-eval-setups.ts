import { MallexError } from "../shared/mallex-error.js";
import type { VariantFields } from "./run-eval.js";

export type Switch = "on" | "off";

/**
 * Pure: `--trim on,off` (or given more than once) as the values to compare, in order, once each;
 * undefined when not given (the config's own setting, not a variant).
 */
export function parseSwitchList(values: readonly string[], flag: string): Switch[] | undefined {
  if (values.length === 0) return undefined;
  const parts = values.flatMap((value) => value.split(",")).map((part) => part.trim().toLowerCase());
  const wrong = parts.filter((part) => part !== "on" && part !== "off");
  if (wrong.length > 0) throw new MallexError("E_USAGE", `${flag} takes on, off or on,off (to compare both), got "${values.join(",")}"`, { exitCode: 2 });
  return [...new Set(parts as Switch[])];
}

/**
 * Pure: each proxy the run needs, in order — one per config × trimming × escalation asked for
 * (`undefined` where one was not asked: the config's own). Profiles vary within a proxy.
 */
export function planEvalSetups(input: {
  configs: readonly string[];
  trim?: readonly Switch[];
  escalation?: readonly Switch[];
}): Array<Omit<VariantFields, "profile">> {
  const configs = input.configs.length > 0 ? input.configs : [undefined];
  const trims = input.trim ?? [undefined];
  const escalations = input.escalation ?? [undefined];
  const seen = new Set<string>();
  for (const config of input.configs) {
    if (seen.has(config)) throw new MallexError("E_USAGE", `--config ${config} is given twice: each --config is a variant of the comparison`, { exitCode: 2 });
    seen.add(config);
  }
  return configs.flatMap((config) =>
    trims.flatMap((trim) =>
      escalations.map((escalation) => ({
        ...(config !== undefined ? { config } : {}),
        ...(trim !== undefined ? { trim } : {}),
        ...(escalation !== undefined ? { escalation } : {}),
      })),
    ),
  );
}
