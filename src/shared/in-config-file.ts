import { homedir } from "node:os";
import { relative, isAbsolute } from "node:path";

/** The config file a running mallex was compiled from (RoutingTable.configFile). */
export interface ConfigFileRef {
  /** Absolute. */
  path: string;
  /** The default shipped in mallex's package: not a file the user should edit. */
  shipped: boolean;
}

/**
 * Where a notice tells the user to change a profile's setting: the file itself, not "mallex.yaml",
 * which names the shipped default, the user's `$MALLEX_HOME/mallex.yaml` and a project's alike.
 * Under the home folder it is written `~/…`. Without a file (a table built in a test): "in mallex.yaml".
 *
 * @example
 * inConfigFile({ path: "/home/me/.mallex/mallex.yaml", shipped: false }, "/home/me") // "in ~/.mallex/mallex.yaml"
 */
export function inConfigFile(file: ConfigFileRef | undefined, home: string = homedir()): string {
  if (file === undefined) return "in mallex.yaml";
  // A change to the shipped file is lost on the next install: a config of the user's own overrides it.
  if (file.shipped) return "in a mallex.yaml of your own (`mallex init` writes one; mallex now runs its shipped default)";
  const under = relative(home, file.path);
  return `in ${home !== "" && under !== "" && !under.startsWith("..") && !isAbsolute(under) ? `~/${under}` : file.path}`;
}
