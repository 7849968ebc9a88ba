import { describe, expect, it } from "vitest";
import { mlxLmDevice, mlxLmRequirements, mlxLmRunsOn } from "../../src/supervisor/mlx-lm-platform.js";
import { openBlasCandidates, planOpenBlasPreload } from "../../src/supervisor/preload-openblas.js";

describe("mlx-lm on each platform", () => {
  it("runs on Apple Silicon (Metal) and on Linux (mlx's CPU backend); not on an Intel Mac or Windows", () => {
    expect(mlxLmRunsOn({ platform: "darwin", appleSilicon: true })).toBe(true);
    expect(mlxLmDevice({ platform: "darwin", appleSilicon: true })).toBe("metal");
    expect(mlxLmRunsOn({ platform: "linux", appleSilicon: false })).toBe(true);
    expect(mlxLmDevice({ platform: "linux", appleSilicon: false })).toBe("cpu");
    expect(mlxLmRunsOn({ platform: "darwin", appleSilicon: false })).toBe(false);
    expect(mlxLmRunsOn({ platform: "win32", appleSilicon: false })).toBe(false);
  });

  it("on Linux, mlx-lm and mlx get the cpu extra (plain mlx-lm installs no mlx there); other requirements and other platforms stay as written", () => {
    const shipped = ["mlx-lm>=0.32"];
    expect(mlxLmRequirements(shipped, "linux")).toEqual(["mlx-lm[cpu]>=0.32"]);
    expect(mlxLmRequirements(shipped, "darwin")).toEqual(shipped);
    expect(mlxLmRequirements(["mlx_lm==0.32.2", "MLX", "numpy<3", "mlx-lm[train] >= 0.32"], "linux")).toEqual([
      "mlx_lm[cpu]==0.32.2",
      "MLX[cpu]",
      "numpy<3",
      "mlx-lm[train,cpu] >= 0.32",
    ]);
    // A backend chosen on purpose, a URL or a direct reference is the user's.
    expect(mlxLmRequirements(["mlx-lm[cuda12]", "mlx-lm[cpu]", "mlx-lm @ git+https://github.com/ml-explore/mlx-lm"], "linux")).toEqual([
      "mlx-lm[cuda12]",
      "mlx-lm[cpu]",
      "mlx-lm @ git+https://github.com/ml-explore/mlx-lm",
    ]);
  });
});

describe("the OpenBLAS preloaded for mlx-lm.server on Linux", () => {
  const host = (files: string[], ldPreload?: string, arch = "x64") => ({
    platform: "linux" as const,
    arch,
    exists: (path: string) => files.includes(path),
    ldPreload,
  });

  it("the threaded Debian/Ubuntu build first, then the others; prepended to what LD_PRELOAD already holds", () => {
    const pthread = "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0";
    const plan = planOpenBlasPreload(host([pthread, "/usr/lib/x86_64-linux-gnu/libopenblas.so.0"], "/lib/libjemalloc.so.2"));
    expect(plan).toMatchObject({ kind: "preload", library: pthread, ldPreload: `${pthread}:/lib/libjemalloc.so.2` });
    expect(plan?.message).toContain(`preloading the system OpenBLAS (${pthread})`);
    expect(planOpenBlasPreload(host(["/usr/lib64/libopenblasp.so.0", "/usr/lib64/libopenblas.so.0"]))).toMatchObject({
      kind: "preload",
      library: "/usr/lib64/libopenblasp.so.0",
    });
    expect(planOpenBlasPreload(host(["/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0"], undefined, "arm64"))).toMatchObject({
      library: "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
    });
    expect(openBlasCandidates("x64").every((path) => path.endsWith(".so.0"))).toBe(true);
  });

  it("an OpenBLAS the user preloads already is left alone; none found says what to install; off Linux nothing", () => {
    expect(planOpenBlasPreload(host(["/usr/lib64/libopenblas.so.0"], "/opt/openblas/lib/libopenblas.so"))).toMatchObject({ kind: "preset" });
    const missing = planOpenBlasPreload(host([]));
    expect(missing?.kind).toBe("missing");
    expect(missing?.message).toMatch(/no system OpenBLAS found.*sudo apt install libopenblas0-pthread.*sudo dnf install openblas-threads/);
    expect(planOpenBlasPreload({ platform: "darwin", arch: "arm64", exists: () => true, ldPreload: undefined })).toBeUndefined();
  });
});
