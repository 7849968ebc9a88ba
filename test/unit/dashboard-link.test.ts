import { describe, expect, it } from "vitest";
import { dashboardLink, formatDashboardHint } from "../../src/cli/dashboard-link.js";

const URL = "http://127.0.0.1:4199";

describe("dashboardLink (the one link to a mallex's dashboard)", () => {
  it("is /ui with the token in its fragment, or bare /ui where the proxy has none", () => {
    expect(dashboardLink(URL, "mallex-0123abcd")).toBe(`${URL}/ui#token=mallex-0123abcd`);
    expect(dashboardLink(URL, undefined)).toBe(`${URL}/ui`);
    expect(dashboardLink(URL, "")).toBe(`${URL}/ui`);
    // The page takes the fragment up to an & and decodes it: any token comes back whole.
    const token = "t&k=1 #x";
    const fragment = /#token=([^&]+)$/.exec(dashboardLink(URL, token))![1]!;
    expect(decodeURIComponent(fragment)).toBe(token);
  });
});

describe("formatDashboardHint (the `dashboard:` line of mallex proxy, issue 50)", () => {
  it("is the bare /ui when the proxy checks no token (none, or one that reads an unset variable)", () => {
    expect(formatDashboardHint(URL, undefined, {})).toBe(`${URL}/ui`);
    expect(formatDashboardHint(URL, "${MALLEX_TOKEN}", {})).toBe(`${URL}/ui`);
  });

  it("opens the page with the config's token, as the claude: line gives it", () => {
    expect(formatDashboardHint(URL, "plain-token", {})).toBe(`${URL}/ui#token=plain-token`);
    expect(formatDashboardHint(URL, "pre-${T}", { T: "1" })).toBe(`${URL}/ui#token=pre-1`);
  });

  it("keeps a token from the environment off the terminal: the page asks for it, and the line names the variable", () => {
    expect(formatDashboardHint(URL, "${MALLEX_TOKEN}", { MALLEX_TOKEN: "s3cret" })).toBe(`${URL}/ui (it asks for the token: \${MALLEX_TOKEN})`);
  });
});
