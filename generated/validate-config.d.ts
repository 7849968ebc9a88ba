// Types for the precompiled validator written by `npm run codegen`.
import type { ErrorObject } from "ajv";

export interface ConfigValidateFunction {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

export declare const validate: ConfigValidateFunction;
export default validate;
