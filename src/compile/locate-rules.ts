import type { ConfigView } from "./config-view.js";

/**
 * Pure: where each tier, profile, intent and filter was written, as `file:line` with the file
 * relative to the config's folder, so the table says the same whatever folder it was compiled from. Keys: `tiers.medium`, `profiles.coder`, `intents.<id>`, `filters.<id>`.
 */
export function locateRules(view: ConfigView, fileOf: (shown: string) => string): Record<string, string> {
  const located: Record<string, string> = {};
  const put = (name: string, path: readonly (string | number)[]) => {
    const position = view.at(path, { key: true });
    located[name] = `${fileOf(position.file)}:${position.line}`;
  };
  const { config } = view;
  for (const tier of Object.keys(config.tiers ?? {})) put(`tiers.${tier}`, ["tiers", tier]);
  for (const profile of Object.keys(config.profiles ?? {})) put(`profiles.${profile}`, ["profiles", profile]);
  (config.intents ?? []).forEach((intent, i) => put(`intents.${intent.id}`, ["intents", i]));
  (config.filters ?? []).forEach((filter, i) => put(`filters.${filter.id}`, ["filters", i]));
  return located;
}
