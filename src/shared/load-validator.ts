import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ValidateFunction } from "../../generated/validate-config.mjs";

/**
 * A validator `npm run codegen` precompiled into the package's generated/ folder. `.mjs`: an ES
 * module whatever package.json is nearest (a copy of mallex inside a CommonJS project included).
 */
export async function loadValidator(packageRoot: string, name: "validate-config" | "validate-messages"): Promise<ValidateFunction> {
  const module = (await import(pathToFileURL(join(packageRoot, "generated", `${name}.mjs`)).href)) as { validate: ValidateFunction };
  return module.validate;
}
