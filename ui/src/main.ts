import { connectEvents, errorText, type ConnectionState } from "./connect-events.js";
import { byId, el } from "./dom.js";
import { renderCapacity } from "./render-capacity.js";
import { renderCharts } from "./render-charts.js";
import { renderConfig } from "./render-config.js";
import { renderContexts } from "./render-contexts.js";
import { renderExplanation, type Explanation } from "./render-explanation.js";
import { renderDrift } from "./render-drift.js";
import { renderEval } from "./render-eval.js";
import { renderInFlight } from "./render-in-flight.js";
import { renderMemory } from "./render-memory.js";
import { renderDownloadBox } from "./download-box.js";
import { createModelActions } from "./model-actions.js";
import { modelKey, renderModels } from "./render-models.js";
import { renderPools } from "./render-pools.js";
import { renderRequests } from "./render-requests.js";
import { renderServers } from "./render-servers.js";
import type {
  CapacitySummary,
  ClaudeCodeDrift,
  ContextSummary,
  DashboardMessage,
  EvalView,
  InFlightSummary,
  ListedModel,
  MemorySummary,
  PoolSummary,
  RequestSummary,
  RoutingTableView,
  ServerSummary,
} from "./types.js";

/** The page's wiring: the token (session storage only), the live feed, the views and their actions. */
const TOKEN_KEY = "mallex-token";
const MAX_REQUESTS = 200;

// A link with the token in its fragment (`mallex eval` prints one for its own proxy, whose token is
// made per run): kept like a typed one, and taken out of the address bar. A fragment never reaches a server.
const linked = /^#token=([^&]+)$/.exec(location.hash);
if (linked !== null) {
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(linked[1]!));
  history.replaceState(null, "", location.pathname + location.search);
}

let requests: RequestSummary[] = [];
let inFlight: InFlightSummary[] = [];
let servers: ServerSummary[] = [];
let pools: PoolSummary[] = [];
let capacity: CapacitySummary[] = [];
let contexts: ContextSummary[] = [];
let memory: MemorySummary | undefined;
let drift: ClaudeCodeDrift | undefined;
let supervises = true;
/** The eval run: this mallex's own (live, from the feed), else the last one saved under MALLEX_HOME (asked for when the tab opens). */
let evalView: EvalView | undefined;
let evalSource: "live" | "saved" | "none" | "loading" = "loading";
/** The Models tab's list: asked for each time the tab opens (undefined until it answers); the rows whose details are open. */
let models: ListedModel[] | undefined;
const openModels = new Set<string>();
/** MALLEX_HOME/models, as mallex sends it with the list: where Remove is offered. */
let modelsDir: string | undefined;
let stop: (() => void) | undefined;
/** Whether mallex has sent its snapshot: until then the page knows nothing of its servers, and says nothing of them. */
let known = false;

const headers = (): HeadersInit => {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { authorization: `Bearer ${token}` } : {};
};
const status = (text: string, kind: "ok" | "bad" | "wait") => {
  const node = byId("status");
  node.textContent = text;
  node.className = kind;
};
const showError = (text: string) => {
  const node = byId("error");
  node.textContent = text;
  node.hidden = text === "";
};

function render(): void {
  renderInFlight(byId("in-flight-panel"), byId("in-flight"), inFlight, Date.now());
  renderRequests(byId<HTMLTableSectionElement>("requests"), requests, (r) => void explain(r.id));
  renderServers(byId("servers"), servers, Date.now(), (key, action) => void act(key, action), memory, supervises);
  renderMemory(byId("memory"), memory);
  renderDrift(byId("claude-code-drift"), drift);
  renderPools(byId("pools-panel"), byId("pools"), pools);
  renderCapacity(byId("capacity-panel"), byId("capacity"), capacity);
  renderContexts(byId("contexts-panel"), byId("contexts"), contexts);
  if (!byId("charts-view").hidden) renderCharts(byId("charts"), requests);
  if (!byId("eval-view").hidden) renderEval(byId("eval"), evalView, evalSource === "loading" ? "live" : evalSource);
}

const modelActions = createModelActions({
  headers,
  redraw: () => showModels(),
  reload: loadModels,
  showEval: () => showTab("eval"),
  modelsDir: () => modelsDir,
});

const showModels = () =>
  renderModels(byId("models-list"), models, {
    open: openModels,
    onToggle(key) {
      if (!openModels.delete(key)) openModels.add(key);
      showModels();
    },
    actions: modelActions.buttons,
    panel: modelActions.panel,
  });

function onMessage(message: DashboardMessage): void {
  if (message.type === "snapshot") {
    known = true;
    requests = message.requests;
    inFlight = message.inFlight ?? [];
    servers = message.servers;
    memory = message.memory;
    drift = message.claudeCodeDrift;
    pools = message.pools;
    // A mallex from before capacities and contexts were shown sends neither: their panels stay hidden.
    capacity = message.capacity ?? [];
    contexts = message.contexts ?? [];
    supervises = message.supervises !== false;
    if (message.eval !== undefined) {
      // The feed carries the view generic in its report (the proxy does not know what an eval is); an eval's proxy sends mallex eval's.
      evalView = message.eval as EvalView;
      evalSource = "live";
    }
  } else if (message.type === "eval") {
    evalView = message.eval as EvalView;
    evalSource = "live";
  } else if (message.type === "inFlight") {
    inFlight = message.inFlight;
  } else if (message.type === "request") {
    requests = [...requests, message.request].slice(-MAX_REQUESTS);
  } else if (message.type === "pools") {
    pools = message.pools;
  } else if (message.type === "capacity") {
    capacity = message.capacity;
    contexts = message.contexts;
  } else {
    servers = message.servers;
    memory = message.memory;
    drift = message.claudeCodeDrift;
  }
  render();
}

function onState(state: ConnectionState): void {
  byId("login").hidden = state.type !== "unauthorized";
  // Without the token the page is told nothing: its panels, empty, would say what is not so ("no model
  // server started"), so only the token's form shows.
  byId("data").hidden = state.type === "unauthorized";
  if (state.type === "open") status("live", "ok");
  else if (state.type === "unauthorized") status("needs the token", "bad");
  else status(`reconnecting: ${state.why}`, "wait");
}

async function explain(id: string): Promise<void> {
  const panel = byId("explanation");
  panel.hidden = false;
  panel.textContent = "Loading…";
  const response = await fetch(`/ui/api/requests/${encodeURIComponent(id)}`, { headers: headers() });
  if (!response.ok) {
    panel.textContent = await errorText(response);
    return;
  }
  renderExplanation(panel, (await response.json()) as Explanation);
  panel.focus();
}

async function act(key: string, action: "stop" | "start"): Promise<void> {
  const response = await fetch(`/ui/api/servers/${encodeURIComponent(key)}/${action}`, { method: "POST", headers: headers() });
  showError(response.ok ? "" : await errorText(response));
}

// A function, not the variable: the feed may change it while a fetch is awaited.
const evalIsLive = () => evalSource === "live";

async function loadEval(): Promise<void> {
  if (evalIsLive()) return;
  const response = await fetch("/ui/api/eval", { headers: headers() });
  if (!response.ok) return showError(await errorText(response));
  const body = (await response.json()) as { source: "live" | "saved" | "none"; eval?: EvalView };
  // The feed may have brought the live run meanwhile: it wins.
  if (evalIsLive()) return;
  evalView = body.eval;
  evalSource = body.source;
  render();
}

async function loadModels(): Promise<void> {
  const response = await fetch("/ui/api/models", { headers: headers() });
  if (!response.ok) {
    // In the tab's place, not only above: a list that never came is no list still loading.
    const why = await errorText(response);
    if (models === undefined) byId("models-list").replaceChildren(el("p", { className: "error", text: why }));
    return showError(why);
  }
  models = (await response.json()) as ListedModel[];
  const dir = response.headers.get("x-mallex-models-dir");
  modelsDir = dir === null ? undefined : decodeURIComponent(dir);
  // A model gone since (removed, renamed) takes its open details and its action with it.
  const keys = new Set(models.map(modelKey));
  for (const key of openModels) if (!keys.has(key)) openModels.delete(key);
  modelActions.keep(keys);
  showModels();
}

async function loadConfig(): Promise<void> {
  const response = await fetch("/ui/api/config", { headers: headers() });
  if (!response.ok) return showError(await errorText(response));
  renderConfig(byId("config"), (await response.json()) as RoutingTableView);
}

function connect(): void {
  stop?.();
  stop = connectEvents(headers, onMessage, onState);
}

function showTab(name: string): void {
  for (const tab of document.querySelectorAll<HTMLButtonElement>("nav button")) {
    const on = tab.dataset.tab === name;
    tab.setAttribute("aria-selected", String(on));
    byId(`${tab.dataset.tab}-view`).hidden = !on;
  }
  if (name === "charts") renderCharts(byId("charts"), requests);
  if (name === "config") void loadConfig();
  if (name === "models") {
    showModels();
    void loadModels();
  }
  if (name === "eval") {
    renderEval(byId("eval"), evalView, evalSource === "loading" ? "live" : evalSource);
    void loadEval();
  }
}

for (const tab of document.querySelectorAll<HTMLButtonElement>("nav button")) tab.addEventListener("click", () => showTab(tab.dataset.tab!));
byId("models-reload").addEventListener("click", () => void loadModels());
renderDownloadBox(byId("models-download"), { headers, reload: loadModels });
byId<HTMLFormElement>("login").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, byId<HTMLInputElement>("token").value.trim());
  connect();
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") byId("explanation").hidden = true;
});
// Uptimes and idle-unload countdowns move without a message.
setInterval(() => {
  if (known) renderServers(byId("servers"), servers, Date.now(), (key, action) => void act(key, action), memory, supervises);
}, 1000);
connect();
