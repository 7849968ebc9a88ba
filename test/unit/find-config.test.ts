import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findConfig, setupConfigPath, userConfigPath } from "../../src/cli/find-config.js";
import { packageRoot, writeTree } from "../helpers/config-tree.js";

/** A folder laid out like a clone of mallex: its own mallex.yaml, which is the shipped default, not the user's config. */
function cloneOfMallex(): string {
  const dir = writeTree({ "package.json": '{ "name": "mallex" }\n' });
  copyFileSync(join(packageRoot, "mallex.yaml"), join(dir, "mallex.yaml"));
  return dir;
}

describe("the config each command uses", () => {
  it("plain commands: --config, else ./mallex.yaml, else the user's in MALLEX_HOME, else the shipped default", () => {
    const home = writeTree({});
    const env = { MALLEX_HOME: home };
    const project = writeTree({ "mallex.yaml": "include: [mallex]\n" });
    const elsewhere = writeTree({});
    expect(findConfig("conf/x.yaml", project, packageRoot, env)).toBe(join(project, "conf", "x.yaml"));
    expect(findConfig(undefined, project, packageRoot, env)).toBe(join(project, "mallex.yaml"));
    expect(findConfig(undefined, elsewhere, packageRoot, env)).toBe(join(packageRoot, "mallex.yaml"));
    writeFileSync(join(home, "mallex.yaml"), "include: [mallex]\n");
    expect(findConfig(undefined, elsewhere, packageRoot, env)).toBe(join(home, "mallex.yaml"));
    expect(findConfig(undefined, project, packageRoot, env)).toBe(join(project, "mallex.yaml"));
  });

  it("the user's config is $MALLEX_HOME/mallex.yaml, ~/.mallex/mallex.yaml without it", () => {
    expect(userConfigPath({ MALLEX_HOME: "/srv/state" })).toBe("/srv/state/mallex.yaml");
    expect(userConfigPath({})).toMatch(/[/\\]\.mallex[/\\]mallex\.yaml$/);
  });

  it("run --setup never takes the mallex.yaml of the folder it runs in (a clone of mallex, a project) for the user's", () => {
    const home = join(writeTree({}), "state");
    const clone = cloneOfMallex();
    expect(setupConfigPath(undefined, clone, { MALLEX_HOME: home })).toBe(join(home, "mallex.yaml"));
    const project = writeTree({ "mallex.yaml": "include: [mallex]\n" });
    mkdirSync(join(project, "sub"));
    expect(setupConfigPath(undefined, join(project, "sub"), { MALLEX_HOME: home })).toBe(join(home, "mallex.yaml"));
    // Named with --config, a file is the user's choice.
    expect(setupConfigPath("mallex.yaml", clone, { MALLEX_HOME: home })).toBe(join(clone, "mallex.yaml"));
  });
});
