import { describe, expect, it } from "vitest";
import { modelShortName } from "../../src/shared/model-short-name.js";

describe("modelShortName: the name Claude Code's header, the log and the dashboard give a served model", () => {
  it("names a GGUF by its file, a tag by its repository and tag, anything else by its last part", () => {
    expect(modelShortName("/work/shared/models/llama-2-tiny-random-chatml.gguf")).toBe("llama-2-tiny-random-chatml");
    expect(modelShortName("~/models/Qwen3-Coder-30B-A3B-Instruct-Q4_K_M-00001-of-00003.gguf")).toBe("Qwen3-Coder-30B-A3B-Instruct-Q4_K_M");
    expect(modelShortName("hf:bartowski/Qwen2.5-Coder-14B-Instruct-GGUF/Qwen2.5-Coder-14B-Instruct-Q4_K_M.gguf")).toBe("Qwen2.5-Coder-14B-Instruct-Q4_K_M");
    expect(modelShortName("hf:bartowski/Qwen2.5-Coder-7B-Instruct-GGUF:Q4_K_M")).toBe("Qwen2.5-Coder-7B-Instruct-GGUF:Q4_K_M");
    expect(modelShortName("https://example.com/models/tiny.gguf?download=true")).toBe("tiny");
    expect(modelShortName("mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit")).toBe("Qwen3-Coder-30B-A3B-Instruct-4bit");
    expect(modelShortName("C:\\models\\phi 3 mini.gguf")).toBe("phi-3-mini");
  });

  it("keeps nothing that could drive a terminal or break an environment variable, and no more than 80 characters", () => {
    expect(modelShortName("/m/evil\u001b]0;pwned\u0007.gguf")).toBe("evil-0-pwned");
    expect(modelShortName(`/m/${"x".repeat(200)}.gguf`)).toHaveLength(80);
    expect(modelShortName("/m/.gguf")).toBe("model");
  });
});
