/**
 * The dashboard opened without its token (issue 50: the page said "No model server started by this
 * mallex yet", which it had not been told), without a browser: the page's own script (dist/ui/app.js,
 * as `npm run build` makes it) runs in this process against a real `mallex proxy` that has a token, on
 * a stand-in for the DOM made of the elements of the page that proxy serves. It shows the token's form
 * alone, which names `mallex status`; its panels stay hidden and empty however long it waits; with
 * the token it goes live. test/dashboard-browser.test.ts checks the same in chromium, where it is installed.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { ONE_LOCAL_PROFILE, packageRoot, writeTree } from "./helpers/config-tree.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";

const TOKEN = "page-token-0123456789";

/** An element as the page's script uses one: text, children, hidden, listeners. */
class FakeElement {
  hidden = false;
  className = "";
  title = "";
  value: unknown = "";
  type = "";
  disabled = false;
  readonly dataset: Record<string, string> = {};
  readonly listeners = new Map<string, (event: unknown) => unknown>();
  private children: Array<FakeElement | string> = [];
  get textContent(): string {
    return this.children.map((child) => (typeof child === "string" ? child : child.textContent)).join("");
  }
  set textContent(text: string) {
    this.children = [text];
  }
  replaceChildren(...nodes: Array<FakeElement | string>): void {
    this.children = nodes;
  }
  append(...nodes: Array<FakeElement | string>): void {
    this.children.push(...nodes);
  }
  addEventListener(type: string, listener: (event: unknown) => unknown): void {
    this.listeners.set(type, listener);
  }
  setAttribute(): void {}
  focus(): void {}
}

/** The page's elements by id, each hidden as the served HTML has it. */
function elementsOf(html: string): Map<string, FakeElement> {
  const elements = new Map<string, FakeElement>();
  for (const [tag] of html.matchAll(/<\w+\s[^>]*\bid="[^"]+"[^>]*>/g)) {
    const element = new FakeElement();
    element.hidden = /\shidden[\s>]/.test(tag);
    elements.set(/\bid="([^"]+)"/.exec(tag)![1]!, element);
  }
  return elements;
}

/** Sets a global the page reads (location, history, sessionStorage, document), over anything Node has of its own. */
const setGlobal = (name: string, value: unknown) => Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });

describe("the dashboard's page without the token", () => {
  let mlx: FakeMlxServer;
  let proxy: MallexProxyProcess;
  const realFetch = globalThis.fetch;
  beforeAll(async () => {
    mlx = await createFakeMlxServer({ model: "test-model" });
    const config = join(writeTree({ "mallex.yaml": `${ONE_LOCAL_PROFILE}server: { auth_token: "${TOKEN}" }\n` }), "mallex.yaml");
    proxy = await startProxyProcess(["--config", config, "--backend-url", mlx.url]);
  });
  afterAll(async () => {
    // The page retries a broken stream every second: from here on its requests wait forever, and hold nothing open.
    globalThis.fetch = () => new Promise<Response>(() => {});
    vi.useRealTimers();
    await proxy?.stop();
    await mlx?.close();
  });

  it("says only that it needs the token and where the link with it is printed; nothing of servers it was not told of; live once given it", async () => {
    const page = await realFetch(`${proxy.url}/ui`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const login = /<form id="login"[^>]*>([\s\S]*?)<\/form>/
      .exec(html)?.[1]
      ?.replace(/<[^>]+>/g, "")
      .replace(/\s+/g, " ");
    expect(login).toContain("This mallex shows its dashboard only with its token. mallex status prints the link that opens it with the token");

    const elements = elementsOf(html);
    const byId = (id: string) => elements.get(id)!;
    const storage = new Map<string, string>();
    setGlobal("location", { hash: "", pathname: "/ui", search: "" });
    setGlobal("history", { replaceState: () => {} });
    setGlobal("sessionStorage", { getItem: (key: string) => storage.get(key) ?? null, setItem: (key: string, value: string) => storage.set(key, value) });
    setGlobal("document", {
      getElementById: (id: string) => elements.get(id) ?? null,
      createElement: () => new FakeElement(),
      createElementNS: () => new FakeElement(),
      querySelectorAll: () => [],
      addEventListener: () => {},
    });
    globalThis.fetch = (input, init) => realFetch(new URL(String(input), proxy.url), init);
    // The page's one-second refresh of the servers' uptimes, run here when the test says.
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    await import(pathToFileURL(join(packageRoot, "dist", "ui", "app.js")).href);

    await expect.poll(() => byId("status").textContent).toBe("needs the token");
    vi.advanceTimersByTime(3000);
    expect(byId("login").hidden).toBe(false);
    expect(byId("data").hidden).toBe(true);
    for (const [id, element] of elements) expect(element.textContent, `#${id}`).not.toContain("No model server");
    expect(byId("servers").textContent).toBe("");

    // The token typed into its form: the panels show what mallex says.
    byId("token").value = TOKEN;
    byId("login").listeners.get("submit")!({ preventDefault: () => {} });
    await expect.poll(() => byId("status").textContent).toBe("live");
    expect(byId("login").hidden).toBe(true);
    expect(byId("data").hidden).toBe(false);
    vi.advanceTimersByTime(1000);
    expect(byId("servers").textContent).toBe("This mallex starts no model server: its backends are servers that run already.");
  });
});
