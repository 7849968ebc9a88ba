import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { ValidateFunction } from "../generated/validate-config.js";

/** A validator `npm run codegen` precompiled into the package's generated/ folder. */
export async function loadValidator(packageRoot: string, name: "validate-config" | "validate-messages"): Promise<ValidateFunction> {
  const module = (await import(pathToFileURL(join(packageRoot, "generated", `${name}.js`)).href)) as { validate: ValidateFunction };
  return module.validate;
}
