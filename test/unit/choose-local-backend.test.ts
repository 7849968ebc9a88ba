import { describe, expect, it } from "vitest";
import { chooseLocalBackend } from "../../src/setup/choose-local-backend.js";
import type { Hardware } from "../../src/setup/detect-hardware.js";
import type { LocalProfile } from "../../src/setup/recommend-profile.js";

const profile = (name: string, backend: string, flavor: string): LocalProfile => ({ name, backend, flavor, minRamGb: 8, model: name, size: "small" });
const both = [profile("a", "mlx", "mlx-lm"), profile("b", "embedded", "embedded")];
const mac: Hardware = { platform: "darwin", arch: "arm64", ramGb: 16, appleSilicon: true };
const linux: Hardware = { platform: "linux", arch: "arm64", ramGb: 16, appleSilicon: false };
const python = { found: { command: "python3.12", version: "3.12.1" }, tooOld: [] };

describe("chooseLocalBackend", () => {
  it("mlx-lm only on Apple Silicon with Python; the embedded engine everywhere else", () => {
    expect(chooseLocalBackend(both, { hardware: mac, python }).backend).toBe("mlx");
    expect(chooseLocalBackend(both, { hardware: mac, python: { tooOld: [] } }).backend).toBe("embedded");
    expect(chooseLocalBackend(both, { hardware: linux }).backend).toBe("embedded");
    // mlx-lm runs on Linux's CPU, slower than llama.cpp: the reason says so and how to pick it anyway.
    expect(chooseLocalBackend(both, { hardware: linux }).reason).toMatch(
      /^Linux arm64, where mlx-lm runs only on the CPU, slower than llama.cpp \(`mallex init --backend mlx` to use it anyway\) → embedded \(/,
    );
    expect(chooseLocalBackend(both, { hardware: { ...linux, platform: "win32" } }).reason).toMatch(/, where mlx-lm does not run → embedded \(/);
  });

  it("the user's --backend wins, and must name a local backend", () => {
    expect(chooseLocalBackend(both, { hardware: mac, python, requested: "embedded" })).toEqual({
      backend: "embedded",
      flavor: "embedded",
      reason: "--backend embedded",
    });
    expect(() => chooseLocalBackend(both, { hardware: linux, requested: "anthropic" })).toThrow("choose one of embedded, mlx");
  });

  it("a default without the engine keeps to what it has", () => {
    const mlxOnly = [profile("a", "mlx", "mlx-lm")];
    expect(chooseLocalBackend(mlxOnly, { hardware: linux }).backend).toBe("mlx");
    expect(chooseLocalBackend(mlxOnly, { hardware: mac, python: { tooOld: [] } }).backend).toBe("mlx");
    expect(() => chooseLocalBackend([], { hardware: linux })).toThrow();
  });
});
