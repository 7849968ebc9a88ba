// Claude Code's captured "what is 2+2" request (../shared, read at run time), as each benchmark sends it.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const fixturePath = fileURLToPath(new URL("../../shared/fixtures/claude-code/main-request-2plus2.json", import.meta.url));
// Claude Code's headers minus the ones that describe its own connection.
const DROPPED_HEADERS = new Set(["host", "content-length", "connection", "accept-encoding"]);

/** The capture, and its body, headers and path ready to POST to a proxy. */
export function readCapturedRequest() {
  let fixture;
  try {
    fixture = JSON.parse(readFileSync(fixturePath, "utf8"));
  } catch (error) {
    throw new Error(`cannot read the captured Claude Code request at ${fixturePath}: ${/** @type {Error} */ (error).message}`);
  }
  return {
    fixture,
    body: Buffer.from(JSON.stringify(fixture.body)),
    headers: { ...Object.fromEntries(Object.entries(fixture.headers).filter(([name]) => !DROPPED_HEADERS.has(name))), "content-type": "application/json" },
    path: `/v1/messages${fixture.url.includes("?") ? fixture.url.slice(fixture.url.indexOf("?")) : ""}`,
  };
}
