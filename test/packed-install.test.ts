/**
 * mallex as a user installs it: the packed tarball (`npm pack`, as `npm publish` makes it) installed
 * into an empty project. npm 11 names every dependency with an install script that allowScripts does
 * not cover; mallex ships none (its build is the `dependencies` and `prepack` scripts of this
 * project alone), so the install is quiet and the installed CLI runs.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { packageRoot } from "./helpers/config-tree.js";

describe("the packed tarball, installed into a project", () => {
  const work = mkdtempSync(join(tmpdir(), "mallex-packed-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("installs with no install-script warning, no install script of mallex's, and a working CLI", async () => {
    // `npm test` built dist/ already: packed as it is (--ignore-scripts skips prepack's second build).
    await execa("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", work], { cwd: packageRoot });
    const tarball = readdirSync(work).find((name) => /^mallex-.*\.tgz$/.test(name))!;
    const project = join(work, "project");
    await execa("mkdir", [project]);
    writeFileSync(join(project, "package.json"), '{ "name": "uses-mallex", "private": true }\n');
    const install = await execa("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", join(work, tarball)], { cwd: project, all: true });
    expect(install.all).not.toMatch(/install-scripts|allowScripts/);
    const manifest = JSON.parse(readFileSync(join(project, "node_modules", "mallex", "package.json"), "utf8")) as { scripts?: Record<string, string> };
    for (const script of ["preinstall", "install", "postinstall", "prepare"]) expect(manifest.scripts ?? {}, script).not.toHaveProperty(script);
    const version = await execa(join(project, "node_modules", ".bin", "mallex"), ["--version"], { cwd: project });
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")).version);
  }, 300_000);
});
