import { describe, expect, it } from "vitest";
import {
  describeHardware,
  detectHardware,
  parseMemTotalKib,
  parseNvidiaSmi,
  parsePhysicalCores,
  type DetectHardwareDeps,
} from "../../src/setup/detect-hardware.js";
import type { CommandResult } from "../../src/setup/run-command.js";

const MEMINFO = `MemTotal:       24684096 kB
MemFree:        23821840 kB
MemAvailable:   24344180 kB
`;

/** A 2-vCPU VM (this project's test machine): one socket, core ids 0 and 1, no SMT. */
const CPUINFO_2_VCPU = [
  "processor\t: 0\nphysical id\t: 0\nsiblings\t: 2\ncore id\t\t: 0\ncpu cores\t: 2\n",
  "processor\t: 1\nphysical id\t: 0\nsiblings\t: 2\ncore id\t\t: 1\ncpu cores\t: 2\n",
].join("\n");

/** `count` cores, each listed twice (SMT), on `sockets` sockets with the same core ids. */
function cpuinfoWithSmt(count: number, sockets = 1): string {
  const blocks: string[] = [];
  for (let socket = 0; socket < sockets; socket++) {
    for (let thread = 0; thread < 2; thread++) {
      for (let core = 0; core < count; core++) blocks.push(`processor\t: ${blocks.length}\nphysical id\t: ${socket}\ncore id\t\t: ${core}\n`);
    }
  }
  return blocks.join("\n");
}

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

describe("CPU cores", () => {
  it("Linux counts physical cores from /proc/cpuinfo, hyperthread siblings once", async () => {
    const read = (cpuinfo: string) => async (path: string) => (path === "/proc/cpuinfo" ? cpuinfo : MEMINFO);
    const vm = await detectHardware(deps({ readFile: read(CPUINFO_2_VCPU), logicalCores: () => 2 }));
    expect(vm.cpuCores).toBe(2);
    expect(describeHardware(vm)).toBe("Linux x64, 2 cores, 24 GB RAM, no GPU found");
    expect((await detectHardware(deps({ readFile: read(cpuinfoWithSmt(8)), logicalCores: () => 16 }))).cpuCores).toBe(8);
    // No core ids (some ARM kernels): the logical count.
    expect((await detectHardware(deps({ readFile: read("processor\t: 0\nBogoMIPS\t: 50.00\n"), logicalCores: () => 4 }))).cpuCores).toBe(4);
  });

  it("macOS takes the logical count (Apple Silicon has no SMT); without one the cores stay unknown", async () => {
    const mac = await detectHardware(deps({ platform: "darwin", arch: "arm64", logicalCores: () => 12, commands: { sysctl: ok("Apple M4 Pro\n") } }));
    expect(mac.cpuCores).toBe(12);
    expect(describeHardware(mac)).toBe("Apple M4 Pro, 12 cores, 16 GB unified memory");
    expect((await detectHardware(deps({ platform: "darwin", arch: "arm64", logicalCores: () => Number.NaN }))).cpuCores).toBeUndefined();
    expect((await detectHardware(deps({ platform: "win32" }))).cpuCores).toBeUndefined();
  });

  it("parsePhysicalCores", () => {
    expect(parsePhysicalCores(CPUINFO_2_VCPU)).toBe(2);
    expect(parsePhysicalCores(cpuinfoWithSmt(8))).toBe(8);
    expect(parsePhysicalCores(cpuinfoWithSmt(16, 2))).toBe(32);
    expect(parsePhysicalCores("")).toBeUndefined();
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
