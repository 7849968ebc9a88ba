import { expect, it } from "vitest";
import * as mallex from "../../src/index.js";

it("exports exactly the curated public API", () => {
  expect(Object.keys(mallex).sort()).toMatchInlineSnapshot(`
    [
      "MallexError",
      "compileConfig",
      "convertAnthropicToOpenAI",
      "createAnthropicStreamTranslator",
      "createToolCallParser",
      "ensureCompiled",
      "formatDiagnostic",
      "formatSSE",
      "loadConfigValidator",
      "loadTemplates",
      "parseOpenAIEventStream",
      "startProxy",
      "trimPlanFor",
      "trimRequest",
    ]
  `);
});
