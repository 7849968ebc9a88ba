import { describe, expect, it } from "vitest";
import type { RuntimeBackend } from "../../src/backends/resolve-backends.js";
import type { RoutingTable } from "../../src/compile/routing-table.js";
import { collectSecrets, createRedactor, REDACTED } from "../../src/observe/redact-secrets.js";

const table = {
  backends: {
    local: {
      kind: "openai",
      flavor: "mlx-lm",
      baseUrl: "http://127.0.0.1:8080/v1",
      apiKey: "${LOCAL_KEY}",
      headers: { "x-org": "${ORG_ID}", "x-note": "plain-value" },
    },
    claude: { kind: "anthropic", flavor: "anthropic", baseUrl: "https://api.anthropic.com", apiKey: "${ANTHROPIC_API_KEY}", headers: {} },
  },
} as unknown as RoutingTable;
const backends: Record<string, RuntimeBackend> = {
  local: { name: "local", kind: "openai", flavor: "mlx-lm", apiKey: "local-key-123456", headers: { "x-org": "org-secret-42", "x-note": "plain-value" } },
  claude: { name: "claude", kind: "anthropic", flavor: "anthropic", apiKey: "sk-ant-api03-abcdefghijklmnop", headers: {} },
};

describe("collectSecrets", () => {
  it("takes API keys, header values from ${VAR}, the local token and credential-named variables; not short or plain values", () => {
    const secrets = collectSecrets(
      table,
      backends,
      { ANTHROPIC_API_KEY: "sk-ant-api03-abcdefghijklmnop", HF_TOKEN: "hf_abcdefghijkl", HOME: "/home/me", TOKENIZERS_PARALLELISM: "false" },
      "mallex-0123456789abcdef",
    );
    expect(secrets).toEqual(
      expect.arrayContaining(["local-key-123456", "org-secret-42", "sk-ant-api03-abcdefghijklmnop", "hf_abcdefghijkl", "mallex-0123456789abcdef"]),
    );
    expect(secrets).not.toContain("plain-value");
    expect(secrets).not.toContain("/home/me");
    expect(secrets).not.toContain("false");
    // Longest first: a secret containing another is replaced whole.
    expect(secrets.map((s) => s.length)).toEqual([...secrets.map((s) => s.length)].sort((a, b) => b - a));
  });
});

describe("createRedactor", () => {
  const redact = createRedactor(["local-key-123456", 'we"ird\\key-99']);

  it("replaces known secrets, in plain text and inside JSON strings, bearer tokens and key-shaped strings", () => {
    expect(redact.text("key=local-key-123456 and again local-key-123456")).toBe(`key=${REDACTED} and again ${REDACTED}`);
    const json = JSON.stringify({ note: 'we"ird\\key-99' });
    expect(redact.text(json)).toBe(`{"note":"${REDACTED}"}`);
    expect(redact.text("Authorization: Bearer abc.def-ghi")).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redact.text("a key sk-proj-0123456789abcdefXYZ here")).toBe(`a key ${REDACTED} here`);
  });

  it("keeps JSON valid where a bearer token sits in a JSON string", () => {
    const text = redact.text(JSON.stringify({ header: 'Bearer abc\\"quoted' }));
    expect(() => JSON.parse(text)).not.toThrow();
    expect(text).not.toContain("abc");
  });

  it("redacts credential headers by name, others through the text", () => {
    const headers = redact.headers(
      new Headers({ authorization: "Bearer x", "x-api-key": "k", "anthropic-version": "2023-06-01", "x-custom-token": "t", "x-echo": "local-key-123456" }),
    );
    expect(headers).toEqual({
      authorization: REDACTED,
      "x-api-key": REDACTED,
      "anthropic-version": "2023-06-01",
      "x-custom-token": REDACTED,
      "x-echo": REDACTED,
    });
    expect(redact.headers({ "content-type": "application/json" })).toEqual({ "content-type": "application/json" });
  });
});
