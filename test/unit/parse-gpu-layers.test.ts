import { expect, it } from "vitest";
import { parseGpuLayers } from "../../src/cli/args/parse-gpu-layers.js";
import { MallexError } from "../../src/shared/mallex-error.js";

it("--gpu-layers takes a count, auto or max (llama-server's values); anything else is a usage error naming them", () => {
  expect([undefined, "0", "33", "auto", "max"].map(parseGpuLayers)).toEqual([undefined, 0, 33, "auto", "max"]);
  for (const bad of ["lots", "-1", "1.5", "all"]) {
    const error = (() => {
      try {
        parseGpuLayers(bad);
      } catch (thrown) {
        return thrown as MallexError;
      }
    })();
    expect(error).toMatchObject({ code: "E_USAGE", exitCode: 2, message: `--gpu-layers must be a whole number ≥ 0, auto or max, got "${bad}"` });
  }
});
