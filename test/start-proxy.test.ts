import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadValidator } from "../src/shared/load-validator.js";
import { loadTemplates } from "../src/templates/load-templates.js";
import { startProxy } from "../src/server/start-proxy.js";
import { findFreePort } from "../src/supervisor/supervisor-deps.js";
import { packageRoot } from "./helpers/config-tree.js";
import { defaultTable } from "./helpers/test-proxy.js";

// Read before the tests, not while the file is collected: a generated/ that cannot be read fails these tests, with its reason.
let validateMessages: Awaited<ReturnType<typeof loadValidator>>;
let templates: Awaited<ReturnType<typeof loadTemplates>>;
beforeAll(async () => {
  validateMessages = await loadValidator(packageRoot, "validate-messages");
  templates = await loadTemplates(`${packageRoot}/generated`);
});
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
    const proxy = await startProxy({
      table,
      validateMessages,
      templates,
      env: { MALLEX_TOKEN: "tok" },
      mallexHome,
      port: 0,
      backendUrl: "http://127.0.0.1:1/v1",
      print: (l) => printed.push(l),
    });
    try {
      const body = JSON.stringify({ model: "m", max_tokens: 5, messages: [{ role: "user", content: "hi" }] });
      expect((await fetch(`${proxy.url}/v1/messages`, { method: "POST", body })).status).toBe(401);
      expect((await fetch(`${proxy.url}/v1/messages`, { method: "POST", body, headers: { authorization: "Bearer tok" } })).status).toBe(503);
      expect(printed).toHaveLength(1);
    } finally {
      await proxy.close();
    }
    // The file is written off the request path; close() has flushed it.
    expect(readFileSync(join(mallexHome, "mallex.log"), "utf8")).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z m → qwen3-coder-30b \(intent chit_chat → low\) · backend failed: mlx at http:\/\/127\.0\.0\.1:1\/v1 is not reachable/,
    );
  });

  it("writes a model name with CR/LF and ANSI sequences as one escaped line (no forged lines)", async () => {
    const mallexHome = home();
    const printed: string[] = [];
    const proxy = await startProxy({
      table: defaultTable,
      validateMessages,
      templates,
      env: {},
      mallexHome,
      port: 0,
      backendUrl: "http://127.0.0.1:1/v1",
      print: (l) => printed.push(l),
    });
    const model = "m\r\n2026-01-01T00:00:00.000Z forged → admin · stop end_turn\u001b[2K\u001b]0;title\u0007\u2028x";
    try {
      const body = JSON.stringify({ model, max_tokens: 5, messages: [{ role: "user", content: "hi" }] });
      expect((await fetch(`${proxy.url}/v1/messages`, { method: "POST", body })).status).toBe(503);
    } finally {
      await proxy.close();
    }
    const lines = readFileSync(join(mallexHome, "mallex.log"), "utf8").split("\n").filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("m\\r\\n2026-01-01T00:00:00.000Z forged → admin · stop end_turn\\x1b[2K\\x1b]0;title\\x07\\u2028x → qwen3-coder-30b");
    expect(lines[0]).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(printed).toHaveLength(1);
    expect(printed[0]).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
  });

  it("rotates mallex.log by the table's observability.log_max_bytes", async () => {
    const mallexHome = home();
    const table = structuredClone(defaultTable);
    table.observability.logMaxBytes = 300;
    table.observability.logMaxFiles = 1;
    const proxy = await startProxy({ table, validateMessages, templates, env: {}, mallexHome, port: 0, backendUrl: "http://127.0.0.1:1/v1", print: () => {} });
    try {
      const body = JSON.stringify({ model: "m", max_tokens: 5, messages: [{ role: "user", content: "hi" }] });
      for (let i = 0; i < 4; i++) expect((await fetch(`${proxy.url}/v1/messages`, { method: "POST", body })).status).toBe(503);
    } finally {
      await proxy.close();
    }
    const all = [join(mallexHome, "mallex.log"), join(mallexHome, "mallex.log.1")].map((file) => readFileSync(file, "utf8"));
    for (const text of all) expect(Buffer.byteLength(text)).toBeLessThanOrEqual(300);
    expect(existsSync(join(mallexHome, "mallex.log.2"))).toBe(false);
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
