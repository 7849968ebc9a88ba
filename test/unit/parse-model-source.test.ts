import { describe, expect, it } from "vitest";
import { parseModelSource } from "../../src/engine/parse-model-source.js";
import { MallexError } from "../../src/shared/mallex-error.js";

const HUB = "https://huggingface.co";
const parse = (source: string, endpoint = HUB) => parseModelSource(source, endpoint);

describe("parseModelSource", () => {
  it("reads node-llama-cpp's hf: file URIs, with an optional #revision", () => {
    expect(parse("hf:bartowski/Qwen3-GGUF/Qwen3-Q4_K_M.gguf")).toEqual({
      kind: "hf-file",
      user: "bartowski",
      repo: "Qwen3-GGUF",
      revision: "main",
      file: "Qwen3-Q4_K_M.gguf",
      uri: "hf:bartowski/Qwen3-GGUF/Qwen3-Q4_K_M.gguf",
    });
    expect(parse("hf:unsloth/GLM-GGUF/BF16/GLM-BF16-00001-of-00002.gguf#v2")).toMatchObject({
      kind: "hf-file",
      file: "BF16/GLM-BF16-00001-of-00002.gguf",
      revision: "v2",
      uri: "hf:unsloth/GLM-GGUF/BF16/GLM-BF16-00001-of-00002.gguf#v2",
    });
    for (const prefix of ["hf://", "huggingface:", "huggingface://", "hf.co/", "huggingface.co/"]) {
      expect(parse(`${prefix}user/repo/x.gguf`)).toMatchObject({ kind: "hf-file", user: "user", repo: "repo", file: "x.gguf" });
    }
  });

  it("reads hf:user/repo[:tag], upper-casing the tag and defaulting to latest", () => {
    expect(parse("hf:user/repo:q4_k_m")).toEqual({ kind: "hf-tag", user: "user", repo: "repo", tag: "Q4_K_M", uri: "hf:user/repo:Q4_K_M" });
    expect(parse("hf:user/repo")).toEqual({ kind: "hf-tag", user: "user", repo: "repo", tag: "latest", uri: "hf:user/repo" });
    expect(parse("hf:user/repo:latest")).toMatchObject({ tag: "latest" });
  });

  it("reads huggingface.co links to a file (resolve or blob) and to a repository", () => {
    expect(parse("https://huggingface.co/user/repo/resolve/main/sub/x.gguf?download=true")).toMatchObject({
      kind: "hf-file",
      user: "user",
      repo: "repo",
      revision: "main",
      file: "sub/x.gguf",
    });
    expect(parse("https://hf.co/user/repo/blob/dev/x.gguf")).toMatchObject({ kind: "hf-file", revision: "dev", uri: "hf:user/repo/x.gguf#dev" });
    expect(parse("https://huggingface.co/user/repo")).toMatchObject({ kind: "hf-tag", tag: "latest" });
    expect(parse("http://127.0.0.1:9999/user/repo/resolve/main/x.gguf", "http://127.0.0.1:9999")).toMatchObject({ kind: "hf-file", file: "x.gguf" });
  });

  it("keeps other URLs as URLs and anything else as a local path", () => {
    expect(parse("https://example.com/models/x.gguf")).toEqual({ kind: "url", url: "https://example.com/models/x.gguf" });
    expect(parse("./models/x.gguf")).toEqual({ kind: "local", path: "./models/x.gguf" });
    expect(parse("C:\\models\\x.gguf")).toEqual({ kind: "local", path: "C:\\models\\x.gguf" });
  });

  it("refuses a path that would leave the repository, a non-GGUF file and a malformed URI, in one sentence", () => {
    const message = (source: string) => {
      try {
        parse(source);
      } catch (error) {
        expect(MallexError.isInstance(error)).toBe(true);
        return (error as Error).message;
      }
      throw new Error(`${source} parsed`);
    };
    expect(message("hf:user/repo/../../etc/x.gguf")).toBe(
      'hf:user/repo/../../etc/x.gguf is not a model source mallex understands: "../../etc/x.gguf" is not a file path inside the repository',
    );
    expect(message("hf:user/repo/model.safetensors")).toBe(
      "hf:user/repo/model.safetensors is not a model source mallex understands: model.safetensors is not a .gguf file",
    );
    expect(message("hf:user")).toBe("hf:user is not a model source mallex understands: expected hf:user/repo:quant or hf:user/repo/file.gguf");
    expect(message("hf:../repo:Q4_K_M")).toMatch(/expected hf:user\/repo:quant/);
    expect(message("hf:user/repo:..")).toBe('hf:user/repo:.. is not a model source mallex understands: ".." is not a quantization tag (like Q4_K_M)');
    expect(message("hf:user/repo:Q4/x.gguf")).toMatch(/give either a tag \(hf:user\/repo:Q4_K_M\) or a file/);
    expect(message("https://huggingface.co/user/repo/tree/main")).toMatch(/must name a repository or a file in one/);
  });
});
