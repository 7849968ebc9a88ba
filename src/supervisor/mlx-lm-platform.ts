/**
 * Where mlx-lm.server runs and what to install for it there. mlx has a Metal build (macOS on Apple
 * Silicon) and, since 0.2x, a CPU build for Linux (`mlx-cpu`, manylinux wheels). mlx-lm 0.32's wheel
 * requires mlx only `platform_system == "Darwin"`: a plain `pip install mlx-lm` on Linux installs no
 * mlx at all, and `mlx_lm.server` then dies on `import mlx`. Its `cpu` extra pulls `mlx[cpu]` →
 * `mlx-cpu` (checked with `pip install --dry-run --report` of mlx-lm 0.32.2 on Linux x86_64).
 */

export interface MlxLmHost {
  platform: NodeJS.Platform;
  appleSilicon: boolean;
}

/** mlx-lm.server can run here: Metal on Apple Silicon, or mlx's CPU backend on Linux (slow, but real). */
export function mlxLmRunsOn(host: MlxLmHost): boolean {
  return host.appleSilicon || host.platform === "linux";
}

/** Which mlx backend it runs on here, for messages. */
export function mlxLmDevice(host: MlxLmHost): "metal" | "cpu" | undefined {
  if (host.appleSilicon) return "metal";
  return host.platform === "linux" ? "cpu" : undefined;
}

// A PEP 508 requirement's name and extras: `mlx-lm>=0.32`, `mlx_lm[train] == 0.32.2`, `MLX`.
const REQUIREMENT = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?(.*)$/s;
const NEEDS_CPU_EXTRA = new Set(["mlx-lm", "mlx"]);

/**
 * The requirements to pip-install on this platform: on Linux, `mlx-lm` and `mlx` get the `cpu` extra
 * (added to any extras already named), so the venv has a backend to run on. A URL or path
 * requirement, or a platform that has its own wheel (macOS), is left as written.
 */
export function mlxLmRequirements(requirements: readonly string[], platform: NodeJS.Platform): string[] {
  if (platform !== "linux") return [...requirements];
  return requirements.map((requirement) => {
    const match = REQUIREMENT.exec(requirement);
    if (!match || requirement.includes("://") || requirement.includes("@")) return requirement;
    const [, name, extras, rest] = match as unknown as [string, string, string | undefined, string];
    if (!NEEDS_CPU_EXTRA.has(name.toLowerCase().replace(/[._]/g, "-"))) return requirement;
    const named = extras
      ? extras
          .slice(1, -1)
          .split(",")
          .map((e) => e.trim())
          .filter(Boolean)
      : [];
    // Another backend named on purpose (cuda12, cuda13) is the user's choice.
    if (named.some((extra) => /^(cpu|cuda\d*)$/i.test(extra))) return requirement;
    return `${name}[${[...named, "cpu"].join(",")}]${rest}`;
  });
}
