import { describe, expect, it } from "vitest";
import { coerceScalar, interpolateEnv, isWholeReference } from "../../src/config/interpolate-env.js";

describe("interpolateEnv", () => {
  const env = { HOME: "/home/dev", EMPTY: "", PORT: "5000" };

  it("replaces ${VAR} and ${VAR:-default}, and records what it read", () => {
    expect(interpolateEnv("${HOME}/.mallex", env)).toEqual({ ok: true, value: "/home/dev/.mallex", used: ["HOME"] });
    expect(interpolateEnv("${MISSING:-fallback}-${PORT}", env)).toEqual({ ok: true, value: "fallback-5000", used: ["MISSING", "PORT"] });
  });

  it("treats an empty variable as unset, like the shell's :-", () => {
    expect(interpolateEnv("${EMPTY:-x}", env)).toEqual({ ok: true, value: "x", used: ["EMPTY"] });
    expect(interpolateEnv("${EMPTY}", env)).toMatchObject({ ok: false, kind: "unset", offset: 0 });
  });

  it("keeps $${ as a literal ${ and a lone $ as is", () => {
    expect(interpolateEnv("cost: $5, $${HOME}", env)).toEqual({ ok: true, value: "cost: $5, ${HOME}", used: [] });
  });

  it("reports the offset of a bad reference", () => {
    expect(interpolateEnv("a ${NOPE}", env)).toMatchObject({ ok: false, kind: "unset", offset: 2, message: "environment variable NOPE is not set" });
    expect(interpolateEnv("ab ${HOME", env)).toMatchObject({ ok: false, kind: "syntax", offset: 3 });
    expect(interpolateEnv("${1X}", env)).toMatchObject({ ok: false, kind: "syntax", message: '"${1X}" is not a valid environment reference' });
  });

  it("types a whole-string reference by its value", () => {
    expect(isWholeReference("${PORT:-4141}")).toBe(true);
    expect(isWholeReference("http://${HOST}")).toBe(false);
    expect([coerceScalar("4141"), coerceScalar("0.5"), coerceScalar("true"), coerceScalar("007"), coerceScalar("x")]).toEqual([4141, 0.5, true, "007", "x"]);
  });
});
