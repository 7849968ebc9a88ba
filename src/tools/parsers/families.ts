/**
 * Every family's scanner spec by format name. The order matters to `auto` only where families share
 * a start marker (`<tool_call>`, `<function=`): each block is offered to them in this order.
 */
import { aprielSpec } from "./apriel.js";
import { apertusSpec } from "./apertus.js";
import { commandRSpec } from "./command-r.js";
import { deepseekDsmlSpec } from "./deepseek-dsml.js";
import { deepseekV3Spec } from "./deepseek-v3.js";
import { firefunctionV2Spec } from "./firefunction-v2.js";
import { functionGemmaSpec } from "./function-gemma.js";
import { functionaryV31Spec } from "./functionary-v31.js";
import { gemma3Spec } from "./gemma3.js";
import { gemma4Spec } from "./gemma4.js";
import { glm45Spec } from "./glm45.js";
import { gptOssSpec } from "./gpt-oss.js";
import { graniteSpec } from "./granite.js";
import { hermesSpec } from "./hermes.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { kimiK2Spec } from "./kimi-k2.js";
import { llama3JsonSpec } from "./llama3-json.js";
import { longcatSpec } from "./longcat.js";
import { mallexXmlSpec } from "./mallex-xml.js";
import { minimaxM2Spec } from "./minimax-m2.js";
import { mistralSpec } from "./mistral.js";
import { nemotronSpec } from "./nemotron.js";
import { pythonicSpec } from "./pythonic.js";
import { qwen3CoderSpec } from "./qwen3-coder.js";
import { seedOssSpec } from "./seed-oss.js";
import type { ToolCallFormat } from "./types.js";

export const FAMILIES: Readonly<Record<ToolCallFormat, FamilySpec>> = {
  hermes: hermesSpec,
  "qwen3-coder": qwen3CoderSpec,
  "functionary-v31": functionaryV31Spec,
  glm45: glm45Spec,
  "llama3-json": llama3JsonSpec,
  mistral: mistralSpec,
  "deepseek-v3": deepseekV3Spec,
  "deepseek-dsml": deepseekDsmlSpec,
  "kimi-k2": kimiK2Spec,
  "mallex-xml": mallexXmlSpec,
  "minimax-m2": minimaxM2Spec,
  "gpt-oss": gptOssSpec,
  "seed-oss": seedOssSpec,
  pythonic: pythonicSpec,
  granite: graniteSpec,
  "command-r": commandRSpec,
  nemotron: nemotronSpec,
  apertus: apertusSpec,
  apriel: aprielSpec,
  "firefunction-v2": firefunctionV2Spec,
  longcat: longcatSpec,
  gemma4: gemma4Spec,
  "function-gemma": functionGemmaSpec,
  gemma3: gemma3Spec,
};
