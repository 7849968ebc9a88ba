import { describe, expect, it } from "vitest";
import { describeHardware, detectHardware, parseMemTotalKib, parseNvidiaSmi, type DetectHardwareDeps } from "../../src/setup/detect-hardware.js";
import type { CommandResult } from "../../src/setup/run-command.js";

const MEMINFO = `MemTotal:       24684096 kB
MemFree:        23821840 kB
MemAvailable:   24344180 kB
`;

const ok = (stdout: string): CommandResult => ({ ok: true, stdout, stderr: "", missing: false });
const missing: CommandResult = { ok: false, stdout: "", stderr: "spawn ENOENT", missing: true };

function deps(over: Partial<DetectHardwareDeps> & { commands?: Record<string, CommandResult> }): DetectHardwareDeps & { calls: string[] } {
  const calls: string[] = [];
  return {
    platform: "linux",
    arch: "x64",
    totalmem: () => 16 * 1024 ** 3,
    readFile: async () => MEMINFO,
    run: async (file, args) => {
      calls.push([file, ...args].join(" "));
      return over.commands?.[file] ?? missing;
    },
    ...over,
    calls,
  };
}

describe("detectHardware", () => {
  it("reads MemTotal from /proc/meminfo on Linux and reports no GPU when nvidia-smi is missing", async () => {
    const hw = await detectHardware(deps({}));
    expect(hw).toEqual({ platform: "linux", arch: "x64", ramGb: 23.5, appleSilicon: false });
    expect(describeHardware(hw)).toBe("Linux x64, 24 GB RAM, no GPU found");
  });

  it("names an NVIDIA GPU and its memory from nvidia-smi", async () => {
    const d = deps({ commands: { "nvidia-smi": ok("NVIDIA H100 80GB HBM3, 81559\n") } });
    const hw = await detectHardware(d);
    expect(hw.gpu).toBe("NVIDIA H100 80GB HBM3");
    expect(hw.gpuMemoryGb).toBe(80);
    expect(d.calls).toEqual(["nvidia-smi --query-gpu=name,memory.total --format=csv,noheader,nounits"]);
    expect(describeHardware(hw)).toBe("Linux x64, 24 GB RAM, GPU: NVIDIA H100 80GB HBM3 (80 GB)");
  });

  it("on macOS asks sysctl for the chip, uses os.totalmem and never runs nvidia-smi", async () => {
    const d = deps({ platform: "darwin", arch: "arm64", totalmem: () => 64 * 1024 ** 3, commands: { sysctl: ok("Apple M3 Max\n") } });
    const hw = await detectHardware(d);
    expect(hw).toEqual({ platform: "darwin", arch: "arm64", ramGb: 64, chip: "Apple M3 Max", appleSilicon: true });
    expect(d.calls).toEqual(["sysctl -n machdep.cpu.brand_string"]);
    expect(describeHardware(hw)).toBe("Apple M3 Max, 64 GB unified memory");
  });

  it("knows an Apple chip under Rosetta (x64 node) by its name, and an Intel Mac is not Apple Silicon", async () => {
    const rosetta = await detectHardware(deps({ platform: "darwin", arch: "x64", commands: { sysctl: ok("Apple M1\n") } }));
    expect(rosetta.appleSilicon).toBe(true);
    const intel = await detectHardware(deps({ platform: "darwin", arch: "x64", commands: { sysctl: ok("Intel(R) Core(TM) i9-9880H CPU @ 2.30GHz\n") } }));
    expect(intel.appleSilicon).toBe(false);
    expect(describeHardware(intel)).toBe("macOS x64 (Intel(R) Core(TM) i9-9880H CPU @ 2.30GHz), 16 GB RAM, no GPU found");
  });

  it("tolerates every probe failing: unknown RAM, no chip, no GPU, no throw", async () => {
    const hw = await detectHardware(
      deps({
        platform: "darwin",
        arch: "arm64",
        totalmem: () => {
          throw new Error("no");
        },
        run: async () => {
          throw new Error("spawn failed");
        },
      }),
    );
    expect(hw).toEqual({ platform: "darwin", arch: "arm64", ramGb: 0, appleSilicon: true });
    expect(describeHardware(hw)).toBe("Apple Silicon, unknown unified memory");
  });

  it("falls back to os.totalmem when /proc/meminfo is unreadable or has no MemTotal", async () => {
    const unreadable = await detectHardware(deps({ readFile: async () => Promise.reject(new Error("EACCES")) }));
    expect(unreadable.ramGb).toBe(16);
    const garbled = await detectHardware(deps({ readFile: async () => "nothing useful" }));
    expect(garbled.ramGb).toBe(16);
  });

  it("ignores a failing nvidia-smi (driver not loaded)", async () => {
    const hw = await detectHardware(deps({ commands: { "nvidia-smi": { ok: false, stdout: "", stderr: "NVIDIA-SMI has failed", missing: false } } }));
    expect(hw.gpu).toBeUndefined();
  });
});

describe("parsers", () => {
  it("parseMemTotalKib", () => {
    expect(parseMemTotalKib(MEMINFO)).toBe(24684096);
    expect(parseMemTotalKib("MemFree: 1 kB")).toBeUndefined();
  });

  it("parseNvidiaSmi takes the first GPU and tolerates a missing memory column", () => {
    expect(parseNvidiaSmi("NVIDIA GeForce RTX 4090, 24564\nNVIDIA GeForce RTX 4090, 24564\n")).toEqual({ name: "NVIDIA GeForce RTX 4090", memoryGb: 24 });
    expect(parseNvidiaSmi("Tesla T4\n")).toEqual({ name: "Tesla T4" });
    expect(parseNvidiaSmi("\n")).toBeUndefined();
  });
});
