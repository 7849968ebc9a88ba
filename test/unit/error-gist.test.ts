/**
 * errorGist on what real programs print when they fail (run here, not pasted): Node's uncaught
 * errors and assertion errors, Python's tracebacks, a Bash result's "Exit code" line.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { errorGist } from "../../src/eval/error-gist.js";

const stderrOf = (command: string, args: string[]) => spawnSync(command, args, { encoding: "utf8" }).stderr;
const node = (source: string) => stderrOf(process.execPath, ["--input-type=module", "-e", source]);

describe("errorGist", () => {
  it("keeps a Node assertion's error line and what it expected, without frames, source lines or the error's other fields", () => {
    const gist = errorGist(node('import assert from "node:assert/strict"; assert.deepEqual([1, 2], [1, 2, 3]);'), 300);
    expect(gist).toBe("AssertionError [ERR_ASSERTION]: Expected values to be strictly deep-equal: ⏎ actual: [ 1, 2 ] ⏎ expected: [ 1, 2, 3 ]");
  });

  it("keeps an uncaught error's line, not the source excerpt Node prints above it", () => {
    const gist = errorGist(node('JSON.parse("{ \\"port\\": 8080, }");'), 300);
    expect(gist).toMatch(/^SyntaxError: .*JSON at position \d+/);
    expect(gist).not.toMatch(/ at (file|node|JSON)|\^|Node\.js|file:|<anonymous/);
  });

  it("keeps Python's exception line, not the traceback", () => {
    expect(errorGist(stderrOf("python3", ["-c", "import no_such_module_here"]), 300)).toBe("ModuleNotFoundError: No module named 'no_such_module_here'");
    expect(errorGist(stderrOf("python3", ["-c", "assert 1 == 2, 'to_roman(4) = IIII'"]), 300)).toBe("AssertionError: to_roman(4) = IIII");
  });

  it("says a line once, and leaves out unittest's rules", () => {
    const failing = "import unittest\nclass T(unittest.TestCase):\n    def test_median(self):\n        self.assertEqual(3.5, 2.5)\nunittest.main()";
    // (unittest times the run: a loaded machine takes milliseconds.)
    expect(errorGist(stderrOf("python3", ["-c", failing]), 300)).toMatch(/^AssertionError: 3\.5 != 2\.5 ⏎ Ran 1 test in \d+\.\d{3}s ⏎ FAILED \(failures=1\)$/);
    // execFileSync's error repeats the child's own error line after its "Command failed".
    const child =
      'import { execFileSync } from "node:child_process"; execFileSync(process.execPath, ["-e", "throw new SyntaxError(\'no export named sumBy\')"]);';
    expect(errorGist(node(child), 300)).toBe(
      `SyntaxError: no export named sumBy ⏎ Error: Command failed: ${process.execPath} -e throw new SyntaxError('no export named sumBy')`,
    );
  });

  it("keeps a tool result's exit code before the error", () => {
    expect(errorGist(`Exit code 1\n${node('throw new Error("config.json: port missing")')}`, 300)).toBe("Exit code 1 ⏎ Error: config.json: port missing");
  });

  it("without an error line: the last lines; cut between words, never mid-word", () => {
    expect(errorGist("one\ntwo\nthree\nfour\n", 300)).toBe("two ⏎ three ⏎ four");
    const gist = errorGist(`Error: ${"word ".repeat(100)}`, 50);
    expect(gist.length).toBeLessThanOrEqual(51);
    expect(gist).toMatch(/word…$/);
  });
});
