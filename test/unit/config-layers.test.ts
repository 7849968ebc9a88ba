import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureCompiled } from "../../src/compile/ensure-compiled.js";
import { describeConfigLayers, findConfigLayers, setupConfigPath, userConfigPath } from "../../src/config/config-layers.js";
import { loadConfig } from "../../src/config/load-config.js";
import { packageRoot, writeTree } from "../helpers/config-tree.js";

/** A folder laid out like a clone of mallex: its own mallex.yaml, which is the shipped default, not the user's config. */
function cloneOfMallex(): string {
  const dir = writeTree({ "package.json": '{ "name": "mallex" }\n' });
  copyFileSync(join(packageRoot, "mallex.yaml"), join(dir, "mallex.yaml"));
  return dir;
}

const MACHINE = `include: [mallex]
profiles:
  mine: { backend: embedded, model: /models/coder.gguf, size: small }
tiers:
  low: { profile: mine }
  medium: { profile: mine }
`;

describe("the config each command uses", () => {
  const shipped = join(packageRoot, "mallex.yaml");

  it("this machine's settings ($MALLEX_HOME/mallex.yaml) with a project's ./mallex.yaml on top; --config alone; else the shipped default", () => {
    const home = writeTree({});
    const env = { MALLEX_HOME: home };
    const project = writeTree({ "mallex.yaml": "include: [mallex]\n" });
    const elsewhere = writeTree({});
    expect(findConfigLayers("conf/x.yaml", project, packageRoot, env)).toEqual({
      entry: join(project, "conf", "x.yaml"),
      under: [],
      files: [{ path: join(project, "conf", "x.yaml"), role: "given" }],
    });
    expect(findConfigLayers(undefined, elsewhere, packageRoot, env)).toMatchObject({ entry: shipped, under: [] });
    // Without settings of this machine's own, a project's file stands alone, as before layers.
    expect(findConfigLayers(undefined, project, packageRoot, env)).toMatchObject({ entry: join(project, "mallex.yaml"), under: [] });

    writeFileSync(join(home, "mallex.yaml"), MACHINE);
    const machine = join(home, "mallex.yaml");
    expect(findConfigLayers(undefined, elsewhere, packageRoot, env)).toMatchObject({ entry: machine, under: [] });
    const layered = findConfigLayers(undefined, project, packageRoot, env);
    expect(layered).toMatchObject({ entry: join(project, "mallex.yaml"), under: [machine] });
    expect(describeConfigLayers(layered, project)).toBe(`config: ${machine} (this machine's settings) + mallex.yaml (this project's rules)`);
    // In MALLEX_HOME itself, the machine's file is not also a project's.
    expect(findConfigLayers(undefined, home, packageRoot, env)).toMatchObject({ entry: machine, under: [] });
  });

  it("a clone of mallex is never taken for a project: its mallex.yaml is the shipped default", () => {
    const home = writeTree({});
    const clone = cloneOfMallex();
    expect(findConfigLayers(undefined, clone, packageRoot, { MALLEX_HOME: home })).toMatchObject({ entry: shipped, under: [] });
    expect(findConfigLayers(undefined, packageRoot, packageRoot, { MALLEX_HOME: home })).toMatchObject({ entry: shipped, under: [] });
    writeFileSync(join(home, "mallex.yaml"), MACHINE);
    expect(findConfigLayers(undefined, clone, packageRoot, { MALLEX_HOME: home })).toMatchObject({ entry: join(home, "mallex.yaml"), under: [] });
    expect(describeConfigLayers(findConfigLayers(undefined, clone, packageRoot, { MALLEX_HOME: writeTree({}) }), clone)).toBe(
      `config: ${shipped} (mallex's default)`,
    );
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

describe("a project's rules merged over this machine's settings", () => {
  const PROJECT = `include: [mallex]
disable: [chit_chat]
filters:
  - id: team-ticket-footer
    where: [system]
    pattern: '^Ticket:'
    action: drop
`;

  it("keeps the machine's models, adds the team's rules, and its include of mallex does not put the default back over the machine", () => {
    const home = writeTree({ "mallex.yaml": MACHINE });
    const project = writeTree({ "mallex.yaml": PROJECT });
    const { config, diagnostics } = loadConfig(join(project, "mallex.yaml"), { cwd: project, env: {}, packageRoot, under: [join(home, "mallex.yaml")] });
    expect(diagnostics).toEqual([]);
    const value = config!.value as { tiers: Record<string, { profile?: string }>; filters: Array<{ id: string }>; intents: Array<{ id: string }> };
    expect(value.tiers.low?.profile).toBe("mine");
    expect(value.tiers.medium?.profile).toBe("mine");
    expect(value.filters.map((f) => f.id)).toContain("team-ticket-footer");
    // The project's disable: reaches the rules of the layers under it.
    expect(value.intents.map((i) => i.id)).not.toContain("chit_chat");
    expect(config!.files[0]!.path).toBe(join(project, "mallex.yaml"));
  });

  it("compiles, and a machine's settings written later are picked up by the next start", async () => {
    const project = writeTree({ "mallex.yaml": "include: [mallex]\n" });
    const home = writeTree({});
    const options = { cwd: project, env: { MALLEX_HOME: home }, packageRoot, outDir: join(project, "generated") };
    const first = await ensureCompiled({ configPath: join(project, "mallex.yaml"), ...options });
    expect(first.compiled).toBe(true);
    expect(first.table.tiers.low?.profile).not.toBe("mine");
    const again = await ensureCompiled({ configPath: join(project, "mallex.yaml"), ...options });
    expect(again.compiled).toBe(false);
    writeFileSync(join(home, "mallex.yaml"), MACHINE);
    const layers = findConfigLayers(undefined, project, packageRoot, options.env);
    const after = await ensureCompiled({ configPath: layers.entry, under: layers.under, ...options });
    expect(after.compiled).toBe(true);
    expect(after.table.tiers.low?.profile).toBe("mine");
  });
});
