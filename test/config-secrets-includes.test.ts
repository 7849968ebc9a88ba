import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BASE, compileTree, writeTree } from "./helpers/config-tree.js";
import { ENV_COMPILED_FIELDS, takesEnvAtCompile } from "../src/config/env-compiled-fields.js";
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
    const generated = readdirSync(join(dir, "generated"))
      .map((name) => readFileSync(join(dir, "generated", name), "utf8"))
      .join("\n");
    expect(generated).not.toContain(SECRET);
    const table = JSON.parse(readFileSync(join(dir, "generated", "routing-table.json"), "utf8"));
    expect(table.backends.local).toMatchObject({
      baseUrl: "http://gpu.local:8080/v1",
      apiKey: "${OPENAI_API_KEY}",
      headers: { "X-Key": "Bearer ${HF_TOKEN}" },
    });
    expect(table.server.authToken).toBe("${MALLEX_TOKEN}");
    expect(table.env).toEqual(["LLM_HOST"]);
    // Values from the environment (settings, never a credential) are still the user's alone.
    for (const name of readdirSync(join(dir, "generated"))) expect(statSync(join(dir, "generated", name)).mode & 0o777, name).toBe(0o600);
  });

  it("writes generated/ with the usual mode when it holds nothing from the environment", async () => {
    const dir = writeTree({ "mallex.yaml": BASE });
    expect((await runCli(["compile"], { cwd: dir, env: { PATH: process.env.PATH ?? "" } })).exitCode).toBe(0);
    for (const name of readdirSync(join(dir, "generated"))) expect(statSync(join(dir, "generated", name)).mode & 0o077, name).not.toBe(0);
  });

  it("refuses ${VAR} in every field that is not a setting (default deny), whatever the variable's name: nothing is written", async () => {
    const leaky = ["DATABASE_URL", "DB_PASS", "MYSQL_PWD", "GPG_PASSPHRASE", "GITHUB_PAT", "SENTRY_DSN", "SLACK_WEBHOOK_URL"];
    const env = Object.fromEntries(leaky.map((name) => [name, SECRET]));
    const config = `${BASE.replace("size: small }", 'size: small, description: "db ${DB_PASS}" }')}templates:
  my-system: "Deploy with {{date}} \${GITHUB_PAT}"
filters:
  - { id: mask, where: [system], pattern: "x", action: replace, replacement: "\${SENTRY_DSN}" }
intents:
  - { id: ship, match: { prompt: ["\${SLACK_WEBHOOK_URL}"] }, tier: medium }
`;
    const { files, lines } = compileTree({ "mallex.yaml": config }, env);
    expect(files).toBeUndefined();
    expect(lines.map((line) => line.split(" (hint")[0]!.replace(/^mallex\.yaml:\d+:\d+: /, ""))).toEqual([
      "error [env-in-uncompiled-field] profiles.small.description does not take ${DB_PASS}: its value would be written into generated/, and only settings (addresses, paths, model ids, numbers) take the environment there",
      "error [env-in-uncompiled-field] templates.my-system does not take ${GITHUB_PAT}: its value would be written into generated/, and only settings (addresses, paths, model ids, numbers) take the environment there",
      "error [env-in-uncompiled-field] filters.0.replacement does not take ${SENTRY_DSN}: its value would be written into generated/, and only settings (addresses, paths, model ids, numbers) take the environment there",
      "error [env-in-uncompiled-field] intents.0.match.prompt.0 does not take ${SLACK_WEBHOOK_URL}: its value would be written into generated/, and only settings (addresses, paths, model ids, numbers) take the environment there",
    ]);
    const dir = writeTree({ "mallex.yaml": config });
    const result = await runCli(["compile"], { cwd: dir, env: { ...env, PATH: process.env.PATH ?? "" } });
    expect(result.exitCode).not.toBe(0);
    expect(() => readdirSync(join(dir, "generated"))).toThrow();
  });

  it("refuses a URL setting whose value from the environment carries a password", () => {
    const config = BASE.replace('base_url: "http://127.0.0.1:8080/v1"', 'base_url: "${DATABASE_URL}"');
    const { files, lines } = compileTree({ "mallex.yaml": config }, { DATABASE_URL: `postgres://app:${SECRET}@db:5432/app` });
    expect(files).toBeUndefined();
    expect(lines.map((line) => line.split(" (hint")[0])).toEqual([
      "mallex.yaml:2:37: error [env-secret-in-field] backends.local.base_url would be compiled into generated/ with a password in its URL (from ${DATABASE_URL})",
    ]);
    expect(lines.join("\n")).not.toContain(SECRET);
  });

  it("lists settings the schema has, and docs/configuration.md lists them", () => {
    const schema = JSON.parse(readFileSync(join(import.meta.dirname, "..", "schema", "mallex.schema.json"), "utf8"));
    const defs = schema.$defs ?? schema.definitions ?? {};
    const resolve = (node: Record<string, any>): Record<string, any> => (node.$ref ? resolve(defs[node.$ref.split("/").at(-1)]) : node);
    const exists = (node: Record<string, any>, parts: string[]): boolean => {
      const here = resolve(node);
      if (parts.length === 0) return true;
      const [part, ...rest] = parts as [string, ...string[]];
      const options = [here, ...(here.anyOf ?? []), ...(here.oneOf ?? [])].map(resolve);
      return options.some((option) =>
        part === "#"
          ? option.items !== undefined && exists(option.items, rest)
          : part === "*"
            ? (typeof option.additionalProperties === "object" && exists(option.additionalProperties, rest)) ||
              Object.values(option.properties ?? {}).some((property) => exists(property as Record<string, any>, rest))
            : option.properties?.[part] !== undefined && exists(option.properties[part], rest),
      );
    };
    for (const field of ENV_COMPILED_FIELDS) expect(exists(schema, field.split(".")), field).toBe(true);
    const page = readFileSync(join(import.meta.dirname, "..", "docs", "configuration.md"), "utf8");
    const listed = page.slice(page.indexOf("<!-- env-fields:start -->"), page.indexOf("<!-- env-fields:end -->"));
    expect([...listed.matchAll(/`([^`]+)`/g)].map((m) => m[1])).toEqual([...ENV_COMPILED_FIELDS]);
    expect(takesEnvAtCompile(["backends", "mlx", "urls", "2"])).toBe(true);
    expect(takesEnvAtCompile(["backends", "mlx", "urls", "x"])).toBe(false);
    expect(takesEnvAtCompile(["profiles", "p", "description"])).toBe(false);
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
    expect(lines.at(-1)).toMatch(/^✓ compiled mallex\.yaml \(this project's rules\) \(\+3 included\) → generated\/ in \d+ ms/);
  });
});
