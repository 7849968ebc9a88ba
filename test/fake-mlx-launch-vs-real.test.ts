/**
 * The fake mlx.launch (test/fakes/fake-mlx-launch.js, what test/mlx-distributed.test.ts runs) against
 * the real one from the model kit's venv (mlx 0.32.4), given the same arguments and hostfiles: the
 * same exit status, stdout and stderr, for its option parsing, its hostfile and backend errors, the
 * ranks it runs on 127.0.0.1 and what it says when they end, and what a signal to it alone does. No
 * model: the ranks are small shell commands, staggered by rank so their output keeps one order.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { beforeAll, expect, it } from "vitest";
import { describeWithModelKit } from "./helpers/model-kit.js";
import { eventually, liveGroupMembersRunning } from "./helpers/process-tree.js";
import { kitVenv } from "./helpers/real-mlx-server.js";

const FAKE = fileURLToPath(new URL("./fakes/fake-mlx-launch.js", import.meta.url));
const LOCAL = { ssh: "127.0.0.1", ips: ["127.0.0.1"] };

const HOSTFILES: Record<string, unknown> = {
  "one.json": [LOCAL],
  "two.json": [LOCAL, LOCAL],
  "empty.json": [],
  "no-hosts.json": { backend: "ring" },
  "no-ssh.json": [{ ips: ["127.0.0.1"] }],
  "string-host.json": ["studio-1"],
  "names.json": [{ ssh: "studio-1" }, { ssh: "studio-2" }],
  "envs.json": { backend: "ring", envs: ["FROM_FILE=1"], hosts: [LOCAL] },
  "jaccl-no-rdma.json": [{ ssh: "a", ips: ["10.0.0.1"] }, { ssh: "b" }],
  "jaccl-self.json": [
    { ssh: "a", ips: ["10.0.0.1"], rdma: ["x", "x"] },
    { ssh: "b", rdma: ["x", null] },
  ],
  "jaccl-missing.json": [
    { ssh: "a", ips: ["10.0.0.1"], rdma: [null, null] },
    { ssh: "b", rdma: [null, null] },
  ],
  "jaccl-ring.json": {
    backend: "jaccl-ring",
    hosts: [
      { ssh: "a", ips: ["10.0.0.1"], rdma: [null, "x", "y"] },
      { ssh: "b", rdma: ["x", null, null] },
      { ssh: "c", rdma: [null, null, null] },
    ],
  },
  "jaccl-no-ip.json": [{ ssh: "a", rdma: [null] }],
};

/**
 * A rank's shell command: rank 1 waits half a second (two ranks at most here), so that the two print
 * in rank order; a tenth of a second was not enough beside other test files on a loaded 2-core machine.
 */
const rank = (script: string) => ["sh", "-c", `sleep 0.$((MLX_RANK * 5)); ${script}`];

const CASES: Array<[string, string[]]> = [
  ["the hostfile is missing", ["--hostfile", "missing.json", "--", "true"]],
  ["the hostfile is not JSON", ["--hostfile", "broken.json", "--", "true"]],
  ["an object without hosts", ["--hostfile", "no-hosts.json", "--", "true"]],
  ["a host without ssh", ["--hostfile", "no-ssh.json", "--", "true"]],
  ["a host that is a string", ["--hostfile", "string-host.json", "--", "true"]],
  ["ring with hostnames and no ips", ["--hostfile", "names.json", "--", "true"]],
  ["an unknown backend", ["--hostfile", "one.json", "--backend", "gloo", "--", "true"]],
  ["jaccl without rdma", ["--hostfile", "jaccl-no-rdma.json", "--backend", "jaccl", "--", "true"]],
  ["jaccl with a device to itself", ["--hostfile", "jaccl-self.json", "--backend", "jaccl", "--", "true"]],
  ["jaccl with no device between hosts", ["--hostfile", "jaccl-missing.json", "--backend", "jaccl", "--", "true"]],
  ["jaccl-ring from the hostfile, neighbours unconnected", ["--hostfile", "jaccl-ring.json", "--", "true"]],
  ["jaccl without rank 0's ip", ["--hostfile", "jaccl-no-ip.json", "--backend", "jaccl", "--", "true"]],
  ["no command", ["--hostfile", "one.json"]],
  ["an empty --hosts name", ["--hosts", "", "--", "true"]],
  ["a command's --host without `--` (ambiguous)", ["--hostfile", "one.json", "mlx_lm.server", "--host", "127.0.0.1"]],
  ["--h (ambiguous)", ["--hostfile", "one.json", "--h"]],
  ["--starting-port without a value", ["--hostfile", "one.json", "--starting-port"]],
  ["--hostfile followed by an option", ["--hostfile", "--verbose", "--", "true"]],
  ["a port that is no number", ["--hostfile", "one.json", "-p", "x", "--", "true"]],
  ["--repeat-hosts 0", ["--hosts", "127.0.0.1", "-n", "0", "--", "true"]],
  ["an empty hostfile runs nothing", ["--hostfile", "empty.json", "--", "echo", "ran"]],
  ["one rank that fails: exit 0 all the same", ["--hostfile", "one.json", "--", ...rank("echo rank=$MLX_RANK; exit 3")]],
  ["a command not found", ["--hostfile", "one.json", "--", "no-such-program-here", "x"]],
  ["a rank killed by a signal", ["--hostfile", "one.json", "--", ...rank("kill -TERM $$")]],
  [
    "two ranks: the ring file, and the second stopped when the first fails",
    // Rank 0 fails after 2 s: the real launcher can stop a rank only once it knows its pid (failing at
    // once on a busy machine, it ran `cat None` in a thread and printed that traceback instead; CI).
    ["--hostfile", "two.json", "-p", "40100", "--", ...rank("cat $MLX_HOSTFILE; [ $MLX_RANK = 0 ] && sleep 2 && exit 3; sleep 10")],
  ],
  [
    "abbreviated and attached options, --verbose after the command",
    ["--hostfile=two.json", "-p40200", "--verb", "--", ...rank("echo $MLX_RANK $MLX_RING_VERBOSE; cat $MLX_HOSTFILE")],
  ],
  ["an option among the command's words is the launcher's", ["--hostfile", "one.json", "true", "--verbose"]],
  ["--env, invalid names, the hostfile's envs", ["--hostfile", "envs.json", "--env", "A-B=1", "--env", "C=x=y", "--", ...rank("echo $FROM_FILE $C")]],
  ["--hosts with two loopback ranks", ["--hosts", "127.0.0.1,127.0.0.1", "--", ...rank("echo $MLX_RANK; cat $MLX_HOSTFILE")]],
  ["a --cwd that does not exist", ["--hostfile", "one.json", "--cwd", "/no/such/dir", "--", "pwd"]],
];

/**
 * The real launcher's stderr with each of `lines` (the fake's) that it wrote inside another line taken
 * out and put on its own: it writes its own line in pieces, and a rank's line relayed meanwhile can land
 * between them ("[WARN]/bin/bash: …not found" then " Node with rank 0 exited…", seen in CI).
 */
function untangled(real: string, lines: string): string {
  let text = real;
  for (const line of lines.split("\n")) {
    if (line === "" || text.split("\n").includes(line) || !text.includes(`${line}\n`)) continue;
    text = `${text.replace(`${line}\n`, "")}\n${line}`;
  }
  return text;
}

describeWithModelKit("the fake mlx.launch against the real one (mlx 0.32.4)", () => {
  let dir: string;
  const real = () => `${kitVenv()}/bin/mlx.launch`;
  // COLUMNS: the real one sizes its usage text to the terminal, and passes COLUMNS to its ranks when there is one.
  const run = (program: string, args: string[]) => execa(program, args, { cwd: dir, reject: false, stdin: "ignore", env: { COLUMNS: "" }, timeout: 30_000 });
  const launch = (which: "real" | "fake", args: string[]) => (which === "real" ? run(real(), args) : run(process.execPath, [FAKE, ...args]));

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "mallex-mlx-launch-"));
    for (const [name, content] of Object.entries(HOSTFILES)) writeFileSync(join(dir, name), JSON.stringify(content));
    writeFileSync(join(dir, "broken.json"), '[{"ssh": "127.0.0.1",');
  });

  it.each(CASES)(
    "%s",
    async (_, args) => {
      const [wanted, got] = await Promise.all([launch("real", args), launch("fake", args)]);
      // Python's json and JavaScript's JSON.parse word a syntax error differently; and the real one
      // prints its own lines at once but relays a rank's through a queue, so their order varies.
      const same = (stderr: string) =>
        stderr
          .replace(/(Failed to parse hostfile broken\.json) \(.*\)$/m, "$1 (…)")
          .split("\n")
          .sort();
      expect({ exitCode: got.exitCode, signal: got.signal, stdout: got.stdout, stderr: same(got.stderr) }).toEqual({
        exitCode: wanted.exitCode,
        signal: wanted.signal,
        stdout: wanted.stdout,
        stderr: same(untangled(wanted.stderr, got.stderr)),
      });
    },
    60_000,
  );

  it.each([["SIGTERM"], ["SIGHUP"]] as const)(
    "%s to the launcher alone ends it at once and leaves its rank running (only its process group stops both)",
    async (signal) => {
      for (const which of ["real", "fake"] as const) {
        // Its own process group, as mallex's supervisor starts it: the ranks are in it.
        const child =
          which === "real"
            ? execa(real(), ["--hostfile", "one.json", "--", "sleep", "30"], { cwd: dir, reject: false, stdin: "ignore", detached: true })
            : execa(process.execPath, [FAKE, "--hostfile", "one.json", "--", "sleep", "30"], { cwd: dir, reject: false, stdin: "ignore", detached: true });
        const group = child.pid!;
        // The rank once it runs `sleep 30`: the real one's rank is first a fork of Python, then bash
        // printing its pidfile to the launcher (which a launcher already gone answers with SIGPIPE),
        // and only then execs the command.
        const ranks = () => liveGroupMembersRunning(group, "sleep 30");
        try {
          await eventually(`${which}: its rank runs`, () => ranks().length === 1, 15_000);
          child.kill(signal);
          const result = await child;
          expect([which, result.signal, ranks().length]).toEqual([which, signal, 1]);
        } finally {
          try {
            process.kill(-group, "SIGKILL");
          } catch {
            // the group is gone
          }
        }
      }
    },
    60_000,
  );
});
