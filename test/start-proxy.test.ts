import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadValidator } from "../src/load-validator.js";
import { loadTemplates } from "../src/templates/load-templates.js";
import { startProxy } from "../src/server/start-proxy.js";
import { findFreePort } from "../src/supervisor/supervisor-deps.js";
import { packageRoot } from "./helpers/config-tree.js";
import { defaultTable } from "./helpers/test-proxy.js";

const validateMessages = await loadValidator(packageRoot, "validate-messages");
const templates = await loadTemplates(`${packageRoot}/generated`);
const home = () => mkdtempSync(join(tmpdir(), "mallex-home-"));

describe("startProxy", () => {
  it("refuses to listen beyond loopback without a local token", async () => {
    const table = structuredClone(defaultTable);
    table.server.host = "0.0.0.0";
    await expect(startProxy({ table, validateMessages, templates, env: {}, mallexHome: home(), print: () => {} })).rejects.toThrow(
      "server.host is 0.0.0.0, which other machines can reach: set server.auth_token (e.g. ${MALLEX_TOKEN}) first.",
    );
  });

  it("requires the token from the environment once one is configured, and logs into MALLEX_HOME", async () => {
    const table = structuredClone(defaultTable);
    table.server.authToken = "${MALLEX_TOKEN}";
    const mallexHome = home();
    const printed: string[] = [];
    const proxy = await startProxy({ table, validateMessages, templates, env: { MALLEX_TOKEN: "tok" }, mallexHome, port: 0, backendUrl: "http://127.0.0.1:1/v1", print: (l) => printed.push(l) });
    try {
      const body = JSON.stringify({ model: "m", max_tokens: 5, messages: [{ role: "user", content: "hi" }] });
      expect((await fetch(`${proxy.url}/v1/messages`, { method: "POST", body })).status).toBe(401);
      expect((await fetch(`${proxy.url}/v1/messages`, { method: "POST", body, headers: { authorization: "Bearer tok" } })).status).toBe(503);
      expect(printed).toHaveLength(1);
      expect(readFileSync(join(mallexHome, "mallex.log"), "utf8")).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z m → qwen3-coder-30b \(intent chit_chat → low\) · backend failed: mlx at http:\/\/127\.0\.0\.1:1\/v1 is not reachable/);
    } finally {
      await proxy.close();
    }
  });

  it("fails clearly when the port is taken, instead of moving to another", async () => {
    const port = await findFreePort();
    const first = await startProxy({ table: defaultTable, validateMessages, templates, env: {}, mallexHome: home(), port, print: () => {} });
    try {
      await expect(startProxy({ table: defaultTable, validateMessages, templates, env: {}, mallexHome: home(), port, print: () => {} })).rejects.toThrow(
        new RegExp(`^mallex cannot listen on 127\\.0\\.0\\.1:${port}: .*Pick another with --port\\.$`),
      );
    } finally {
      await first.close();
    }
  });
});
