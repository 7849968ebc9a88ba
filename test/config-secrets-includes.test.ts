import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BASE, compileTree, writeTree } from "./helpers/config-tree.js";
import { runCli } from "./helpers/run-cli.js";

const SECRET = "hf_s3cr3t-value-never-on-disk";

describe("environment values that look secret never reach generated/", () => {
  it("refuses a secret-named variable in a field that is compiled (here a profile's model)", () => {
    const config = BASE.replace("model: test-model", 'model: "org/${HF_TOKEN}"');
    const { files, lines } = compileTree({ "mallex.yaml": config }, { HF_TOKEN: SECRET });
    expect(files).toBeUndefined();
    expect(lines).toEqual([
      "mallex.yaml:4:40: error [env-secret-in-field] ${HF_TOKEN} looks like a secret, and profiles.small.model is compiled into generated/ with its value (hint: use it in api_key, auth_token or headers (kept as ${HF_TOKEN} and read when mallex starts); if it holds no secret, give the variable a name without KEY, TOKEN, SECRET, PASSWORD or CREDENTIAL)",
    ]);
  });

  it("refuses it even when unset or defaulted, so nothing depends on the shell it was compiled in", () => {
    const config = BASE.replace('base_url: "http://127.0.0.1:8080/v1"', 'base_url: "${DB_PASSWORD:-http://127.0.0.1:8080/v1}"');
    expect(compileTree({ "mallex.yaml": config }).lines.map((l) => l.split(" (hint")[0])).toEqual([
      "mallex.yaml:2:37: error [env-secret-in-field] ${DB_PASSWORD} looks like a secret, and backends.local.base_url is compiled into generated/ with its value",
    ]);
  });

  it("keeps ${VAR} in api_key, auth_token and headers, and compiles other variables' values", async () => {
    const config = `${BASE}server: { auth_token: "\${MALLEX_TOKEN}" }\n`.replace(
      'base_url: "http://127.0.0.1:8080/v1" }',
      'base_url: "http://${LLM_HOST}:8080/v1", api_key: "${OPENAI_API_KEY}", headers: { X-Key: "Bearer ${HF_TOKEN}" } }',
    );
    const dir = writeTree({ "mallex.yaml": config });
    const env = { HF_TOKEN: SECRET, OPENAI_API_KEY: SECRET, MALLEX_TOKEN: SECRET, LLM_HOST: "gpu.local", PATH: process.env.PATH ?? "" };
    const result = await runCli(["compile"], { cwd: dir, env });
    expect(result.exitCode).toBe(0);
    const generated = readdirSync(join(dir, "generated")).map((name) => readFileSync(join(dir, "generated", name), "utf8")).join("\n");
    expect(generated).not.toContain(SECRET);
    const table = JSON.parse(readFileSync(join(dir, "generated", "routing-table.json"), "utf8"));
    expect(table.backends.local).toMatchObject({ baseUrl: "http://gpu.local:8080/v1", apiKey: "${OPENAI_API_KEY}", headers: { "X-Key": "Bearer ${HF_TOKEN}" } });
    expect(table.server.authToken).toBe("${MALLEX_TOKEN}");
    expect(table.env).toEqual(["LLM_HOST"]);
  });
});

describe("mallex compile names each included file outside the config's folder", () => {
  it("one line per such file; files inside the folder and the shipped default are not listed", async () => {
    const root = writeTree({
      "shared/team.yaml": "routing: { default_tier: medium }\n",
      "project/rules/local.yaml": "server: { port: 5151 }\n",
      "project/mallex.yaml": `include: [mallex, ../shared/team.yaml, ./rules/local.yaml]\n${BASE}`,
    });
    const result = await runCli(["compile"], { cwd: join(root, "project"), env: { PATH: process.env.PATH ?? "" } });
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines.filter((line) => line.startsWith("↳"))).toEqual([`↳ includes ${join(root, "shared/team.yaml")} (outside the folder of mallex.yaml)`]);
    expect(lines.at(-1)).toMatch(/^✓ compiled mallex\.yaml \(\+3 included\) → generated\/ in \d+ ms/);
  });
});
