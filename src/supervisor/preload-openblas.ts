/**
 * mlx's Linux CPU wheels (mlx-cpu 0.32) bundle netlib's reference BLAS: its matrix products run at
 * about 7 GFLOP/s. The system's OpenBLAS, preloaded with LD_PRELOAD, takes over the same `sgemm_`
 * symbols and runs them at about 200 GFLOP/s (measured on 2 x86_64 cores; prompt processing of
 * Qwen2.5-Coder-0.5B went from 12 to about 100 tokens a second). So a supervised mlx-lm.server on
 * Linux gets the first OpenBLAS found in the distributions' usual places, and the start-up line
 * says so, or says what to install.
 */

/** Threaded builds first (what the server wants), then OpenMP, the distribution's default, serial. */
export function openBlasCandidates(arch: string): string[] {
  const triplet = arch === "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
  const debian = `/usr/lib/${triplet}`;
  return [
    // Debian/Ubuntu: libopenblas0-pthread, -openmp, the alternatives link, -serial.
    `${debian}/openblas-pthread/libopenblas.so.0`,
    `${debian}/openblas-openmp/libopenblas.so.0`,
    `${debian}/libopenblas.so.0`,
    `${debian}/openblas-serial/libopenblas.so.0`,
    // Fedora/RHEL: openblas-threads (libopenblasp), openblas-openmp (libopenblaso), openblas.
    "/usr/lib64/libopenblasp.so.0",
    "/usr/lib64/libopenblaso.so.0",
    "/usr/lib64/libopenblas.so.0",
    // Arch, Alpine and others.
    "/usr/lib/libopenblas.so.0",
    "/usr/lib/libopenblasp.so.0",
  ];
}

export const OPENBLAS_INSTALL_HINT =
  "Debian/Ubuntu: `sudo apt install libopenblas0-pthread`; Fedora: `sudo dnf install openblas-threads`; Arch: `sudo pacman -S openblas`";

export type OpenBlasPlan =
  /** LD_PRELOAD for the server: the library first, then whatever the environment preloaded already. */
  | { kind: "preload"; library: string; ldPreload: string; message: string }
  /** The environment preloads an OpenBLAS already: left as it is. */
  | { kind: "preset"; message: string }
  /** `message` is the whole start-up line; `finding` and `advice` are its two halves, for doctor. */
  | { kind: "missing"; message: string; finding: string; advice: string };

export interface OpenBlasHost {
  platform: NodeJS.Platform;
  arch: string;
  exists(path: string): boolean;
  /** LD_PRELOAD as the server would inherit it. */
  ldPreload: string | undefined;
}

/** What to preload for mlx-lm.server here; undefined off Linux, where mlx brings its own BLAS (Accelerate). */
export function planOpenBlasPreload(host: OpenBlasHost): OpenBlasPlan | undefined {
  if (host.platform !== "linux") return undefined;
  const preset = (host.ldPreload ?? "").split(/[:\s]+/).filter(Boolean);
  if (preset.some((library) => /openblas/i.test(library)))
    return { kind: "preset", message: `mlx's CPU matrix products use the OpenBLAS already in LD_PRELOAD (${host.ldPreload})` };
  const library = openBlasCandidates(host.arch).find((path) => host.exists(path));
  if (library === undefined) {
    const finding =
      "no system OpenBLAS found, so mlx's CPU matrix products use the reference BLAS its wheel bundles (about 30 times slower; prompts about 8 times slower)";
    const advice = `install OpenBLAS and mallex preloads it: ${OPENBLAS_INSTALL_HINT}`;
    return { kind: "missing", message: `${finding}. To speed it up, ${advice}`, finding, advice };
  }
  return {
    kind: "preload",
    library,
    ldPreload: [library, ...preset].join(":"),
    message: `preloading the system OpenBLAS (${library}) for mlx's CPU matrix products (LD_PRELOAD; the reference BLAS mlx's Linux wheel bundles is about 30 times slower)`,
  };
}
