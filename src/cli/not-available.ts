import { MallexError } from "../mallex-error.js";

/** For commands whose interface is fixed but whose work lands in a later release. */
export function notAvailable(command: string): never {
  throw new MallexError("E_NOT_AVAILABLE", `\`mallex ${command}\` is not available in this version of mallex yet; \`mallex compile\` is.`, { exitCode: 2 });
}
