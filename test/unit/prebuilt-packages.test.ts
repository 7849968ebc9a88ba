import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { describeBackends, prebuiltPackages } from "../../src/engine/install/prebuilt-packages.js";
import { NODE_LLAMA_CPP_VERSION } from "../../src/shared/engine-location.js";

const names = (...args: Parameters<typeof prebuiltPackages>) => prebuiltPackages(...args)?.map((p) => p.name.replace("@node-llama-cpp/", ""));

describe("prebuiltPackages: node-llama-cpp's binary packages for a machine", () => {
  it("x64 Linux: the CPU's alone without a GPU; CUDA's two and Vulkan's added for the GPUs found", () => {
    expect(names("linux", "x64", [])).toEqual(["linux-x64"]);
    expect(names("linux", "x64", ["cuda"])).toEqual(["linux-x64", "linux-x64-cuda", "linux-x64-cuda-ext"]);
    expect(names("linux", "x64", ["vulkan"])).toEqual(["linux-x64", "linux-x64-vulkan"]);
    expect(names("linux", "x64", ["vulkan", "cuda"])).toEqual(["linux-x64", "linux-x64-cuda", "linux-x64-cuda-ext", "linux-x64-vulkan"]);
    // Metal is never found off a Mac; were it named, Linux has no package for it.
    expect(names("linux", "x64", ["metal"])).toEqual(["linux-x64"]);
  });

  it("x64 Windows mirrors Linux; a Mac has one package whatever is found (Metal on an Apple chip)", () => {
    expect(names("win32", "x64", ["cuda", "vulkan"])).toEqual(["win-x64", "win-x64-cuda", "win-x64-cuda-ext", "win-x64-vulkan"]);
    expect(names("darwin", "arm64", [])).toEqual(["mac-arm64-metal"]);
    expect(names("darwin", "arm64", ["metal"])).toEqual(["mac-arm64-metal"]);
    expect(names("darwin", "x64", ["vulkan"])).toEqual(["mac-x64"]);
    expect(prebuiltPackages("darwin", "arm64", [])?.[0]?.gpu).toBe("metal");
  });

  it("other architectures: their one package, which no GPU changes; none where node-llama-cpp publishes none", () => {
    expect(names("linux", "arm64", ["cuda", "vulkan"])).toEqual(["linux-arm64"]);
    expect(names("linux", "arm", [])).toEqual(["linux-armv7l"]);
    expect(names("linux", "riscv64", [])).toEqual(["linux-riscv64"]);
    expect(names("win32", "arm64", ["vulkan"])).toEqual(["win-arm64"]);
    expect(prebuiltPackages("freebsd", "x64", [])).toBeUndefined();
    expect(prebuiltPackages("linux", "ppc64", [])).toBeUndefined();
    expect(prebuiltPackages("darwin", "ppc", [])).toBeUndefined();
  });

  it("says what a set runs on, the CPU first", () => {
    expect(describeBackends(prebuiltPackages("linux", "x64", ["cuda", "vulkan"])!)).toBe("the CPU, CUDA and Vulkan");
    expect(describeBackends(prebuiltPackages("linux", "x64", [])!)).toBe("the CPU");
    expect(describeBackends(prebuiltPackages("darwin", "arm64", [])!)).toBe("Metal");
  });

  it("installs the node-llama-cpp the repository's tests run (package.json's devDependency)", () => {
    const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(manifest.devDependencies["node-llama-cpp"]).toBe(NODE_LLAMA_CPP_VERSION);
    // A dependency would bring every prebuilt package npm finds for the platform (677 MB on Linux x64).
    expect(manifest.dependencies["node-llama-cpp"]).toBeUndefined();
  });
});
