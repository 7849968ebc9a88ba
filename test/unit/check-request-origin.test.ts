import { describe, expect, it } from "vitest";
import { checkRequestOrigin, originPolicyOf } from "../../src/http/check-request-origin.js";

const policy = originPolicyOf({ host: "127.0.0.1", allowedHosts: ["mac-studio.local"], corsOrigins: ["http://localhost:5173"] });
const check = (host: string, origin: string | null = null, secFetchSite: string | null = null) => checkRequestOrigin({ host, origin, secFetchSite }, policy);

describe("checkRequestOrigin", () => {
  it("serves the loopback names with any port, and the configured ones", () => {
    for (const host of ["localhost", "localhost:4141", "127.0.0.1:4141", "127.0.0.2", "[::1]:4141", "LOCALHOST:1", "mac-studio.local:4141"])
      expect(check(host)).toEqual({ ok: true });
  });

  it("refuses any other Host, naming server.allowed_hosts", () => {
    for (const host of ["evil.example", "evil.example:4141", "localhost.evil.example", "127.0.0.1.evil.example", "", "a:b:c", "[::1"]) {
      const result = check(host);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message).toContain("server.allowed_hosts");
    }
  });

  it("serves server.host itself unless it is a wildcard address", () => {
    expect(
      checkRequestOrigin(
        { host: "192.168.1.5:4141", origin: null, secFetchSite: null },
        originPolicyOf({ host: "192.168.1.5", allowedHosts: [], corsOrigins: [] }),
      ).ok,
    ).toBe(true);
    expect(
      checkRequestOrigin({ host: "192.168.1.5:4141", origin: null, secFetchSite: null }, originPolicyOf({ host: "0.0.0.0", allowedHosts: [], corsOrigins: [] }))
        .ok,
    ).toBe(false);
    expect(
      checkRequestOrigin({ host: "[fd00::5]:4141", origin: null, secFetchSite: null }, originPolicyOf({ host: "fd00::5", allowedHosts: [], corsOrigins: [] }))
        .ok,
    ).toBe(true);
  });

  it("refuses a browser origin that is neither mallex's own nor configured, and gives a configured one CORS", () => {
    expect(check("127.0.0.1:4141", "http://127.0.0.1:4141", "same-origin")).toEqual({ ok: true });
    expect(check("localhost:4141", "http://localhost:4141")).toEqual({ ok: true });
    expect(check("127.0.0.1:4141", "http://localhost:5173", "same-site")).toEqual({ ok: true, corsOrigin: "http://localhost:5173" });
    for (const origin of ["https://evil.example", "null", "http://localhost:4141", "https://127.0.0.1:4141", "http://localhost:5173/"]) {
      const result = check("127.0.0.1:4141", origin, "cross-site");
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.message).toContain("server.cors_origins");
    }
  });

  it("refuses what another site makes without an Origin (Sec-Fetch-Site), and passes programs that send neither", () => {
    expect(check("127.0.0.1:4141", null, "cross-site").ok).toBe(false);
    expect(check("127.0.0.1:4141", null, "same-site").ok).toBe(false);
    expect(check("127.0.0.1:4141", null, "none")).toEqual({ ok: true });
    expect(check("127.0.0.1:4141", null, "same-origin")).toEqual({ ok: true });
    expect(check("127.0.0.1:4141")).toEqual({ ok: true });
  });
});
