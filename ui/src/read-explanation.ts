/**
 * A saved request's four JSON files (format-last-request.ts) read into what the explanation panel
 * says in words: the route, what each rule did, how the request ended, and an outline of what was
 * sent. Pure, and forgiving: a file that is not JSON, or has another shape (an older mallex), yields
 * nothing, and the panel still shows it as JSON. Prompt text stays as the files give it (masked
 * unless observability.dashboard_prompts).
 */

/** A label and its value, one line of a section. */
export type Fact = readonly [label: string, value: string];

/** What one trimming did: its rules as rows, then the sizes and choices around them. */
export interface TrimView {
  rules: Array<{ rule: string; target: string; chars: number }>;
  facts: Fact[];
}

export interface ExplanationView {
  route: Fact[];
  trims: TrimView[];
  ending: Fact[];
  notes: string[];
  /** An outline of each body: the client's request and the upstream request. */
  request: Fact[];
  upstream: Fact[];
}

type Json = Record<string, unknown>;

export function readExplanation(files: Record<string, string>): ExplanationView {
  const route = parse(files["route.json"]);
  const response = parse(files["response.json"]);
  return {
    route: routeFacts(route),
    trims: list(route?.trims).map((trim) => trimView(record(trim))),
    ending: endingFacts(response),
    notes: list(response?.notes).filter((note): note is string => typeof note === "string"),
    request: bodyFacts(parse(files["request.json"])),
    upstream: bodyFacts(parse(files["upstream.json"])),
  };
}

function routeFacts(route: Json | undefined): Fact[] {
  if (route === undefined) return [];
  if (route.routed === false) return [["routed", "no: refused before a profile was chosen"]];
  const backend = [text(route.backend_kind), text(route.flavor)].filter((part) => part !== "").join(", ");
  return facts([
    ["tier", text(route.tier) || "none (the request named a profile)"],
    ["profile", text(route.profile)],
    ["model", text(route.model)],
    ["backend", `${text(route.backend)}${backend === "" ? "" : ` (${backend})`}`],
    ["why", text(route.reason)],
    ["passed over", list(route.skipped).map(text).join("; ")],
  ]);
}

function trimView(trim: Json | undefined): TrimView {
  const rules = list(trim?.rules).map((hit) => {
    const h = record(hit);
    return { rule: text(h?.rule), target: text(h?.target), chars: number(h?.charsRemoved) ?? 0 };
  });
  const before = record(trim?.before);
  const after = record(trim?.after);
  const system = record(trim?.system);
  const tools = record(trim?.tools);
  const unplaced = list(record(trim?.claudeCode)?.unplaced).map(text);
  const offered = list(tools?.offered).map(text);
  return {
    rules,
    facts: facts([
      ["before", size(before)],
      ["after", size(after)],
      [
        "system prompt",
        system?.mode === "template"
          ? `from template ${text(system.template)}, keeping ${list(system.sections).map(text).join(", ") || "no section"}`
          : system?.mode === "passthrough"
            ? `passed through (${text(system.reason)})`
            : "",
      ],
      [
        "tools",
        tools === undefined ? "" : `${text(tools.mode)} mode, ${offered.length === 0 ? "none offered" : `${offered.length} offered: ${offered.join(", ")}`}`,
      ],
      ["budget", number(trim?.budgetTokens) === undefined ? "" : `${number(trim?.budgetTokens)} tokens`],
      [
        "Claude Code",
        record(trim?.claudeCode) === undefined
          ? ""
          : `${text(record(trim?.claudeCode)?.version) || "its request"}: ${unplaced.length === 0 ? "every part placed by a rule" : `${unplaced.length} part(s) no rule placed: ${unplaced.join("; ")}`}`,
      ],
    ]),
  };
}

function endingFacts(response: Json | undefined): Fact[] {
  if (response === undefined) return [];
  const usage = record(response.usage);
  const stop = text(response.stop_reason);
  const cut = number(response.cut_at_cap);
  return facts([
    ["status", `${text(response.status)} ${text(response.outcome)}`.trim()],
    ["took", number(response.duration_ms) === undefined ? "" : `${number(response.duration_ms)} ms`],
    ["first token", number(response.ttft_ms) === undefined ? "" : `after ${number(response.ttft_ms)} ms`],
    // The answer mallex cut at its own cap ended on max_tokens, as the client was told, with a note naming the cap.
    [
      "stop",
      cut !== undefined
        ? `max_tokens: cut at ${cut} tokens by mallex's cap (Claude Code was told ${stop || "max_tokens"}, with a note naming the cap)`
        : stop === ""
          ? ""
          : `${stop}${text(response.stop_sequence) === "" ? "" : ` ${JSON.stringify(text(response.stop_sequence))}`}`,
    ],
    [
      "tokens",
      usage === undefined
        ? ""
        : `${number(usage.input_tokens) ?? "?"} in (${number(usage.cache_read_input_tokens) ?? 0} cached), ${number(usage.output_tokens) ?? "?"} out`,
    ],
    ["error", text(response.error)],
  ]);
}

/** The outline of a request file: where it went and what its body holds, by count, never by text. */
function bodyFacts(file: Json | undefined): Fact[] {
  if (file === undefined) return [];
  if (file.sent === false) return [["sent", text(file.why) || "no"]];
  const body = record(file.body);
  const messages = list(body?.messages);
  const roles = messages.map((m) => text(record(m)?.role)).filter((role) => role !== "");
  return facts([
    ["to", `${text(file.method) || "POST"} ${text(file.url) || text(file.path)}`],
    [
      "answered",
      number(file.status) === undefined
        ? ""
        : `HTTP ${number(file.status)}${number(file.headers_ms) === undefined ? "" : ` after ${number(file.headers_ms)} ms`}`,
    ],
    ["model", text(body?.model)],
    ["messages", messages.length === 0 ? "" : `${messages.length} (${roles.join(", ")})`],
    ["tools", list(body?.tools).length === 0 ? "" : String(list(body?.tools).length)],
    ["max tokens", number(body?.max_tokens) === undefined ? "" : String(number(body?.max_tokens))],
    ["streamed", body?.stream === true ? "yes" : ""],
    ["error", text(file.error)],
  ]);
}

const facts = (entries: Fact[]): Fact[] => entries.filter(([, value]) => value !== "");

const size = (s: Json | undefined): string => (number(s?.chars) === undefined ? "" : `${number(s?.chars)} chars, ~${number(s?.tokens) ?? "?"} tokens`);

function parse(text: string | undefined): Json | undefined {
  if (text === undefined) return undefined;
  try {
    return record(JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}

function record(value: unknown): Json | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function text(value: unknown): string {
  return typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : "";
}

function number(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
