import { readdirSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { Size } from "../../generated/config.js";
import type { ValidateFunction } from "../../generated/validate-messages.mjs";
import type { RoutingTable } from "../../src/compile/routing-table.js";
import { loadValidator } from "../../src/shared/load-validator.js";
import { measurePrompt } from "../../src/router/describe-request.js";
import { profileTranslateOptions } from "../../src/pipeline/profile-translate-options.js";
import { checkMessagesBody } from "../../src/pipeline/check-messages-body.js";
import type { Templates } from "../../src/templates/load-templates.js";
import type { MessagesRequest } from "../../src/translate/anthropic-types.js";
import { convertAnthropicToOpenAI } from "../../src/translate/convert-anthropic-to-openai.js";
import { trimPlanFor } from "../../src/trim/plan-trim.js";
import { createPrefixCache, type PrefixCache } from "../../src/trim/prefix-cache.js";
import { trimRequest } from "../../src/trim/trim-request.js";
import type { TrimPlan } from "../../src/trim/trim-types.js";
import { packageRoot } from "../helpers/config-tree.js";
import { describeWithShared, readCapture, sharedPath } from "../helpers/shared-dir.js";
import { firstProfileOfSize, loadShipped } from "../helpers/trim-helpers.js";

let table: RoutingTable;
let templates: Templates;
let validate: ValidateFunction;
beforeAll(async () => {
  ({ table, templates } = await loadShipped());
  validate = await loadValidator(packageRoot, "validate-messages");
});

const SIZES: readonly Size[] = ["small", "medium", "large"];

/** What goes upstream, and what the log and `explain` say, for one trim. */
function upstreamOf(plan: TrimPlan, request: MessagesRequest, cached?: { cache: PrefixCache; text: string }) {
  const options = profileTranslateOptions(plan.profile, table.backends[plan.profile.backend]?.flavor ?? "generic");
  let trimmed;
  if (cached === undefined) {
    trimmed = trimRequest(request, plan, templates);
  } else {
    // The server's path: the body's text checked (and measured) once, the prefix from the cache.
    const check = checkMessagesBody(cached.text, validate, { cache: cached.cache });
    if (!check.ok) throw new Error(check.message);
    trimmed = trimRequest(check.request, plan, templates, { cache: cached.cache, source: check.source });
  }
  return { bytes: JSON.stringify(convertAnthropicToOpenAI(trimmed.request, options)), ok: trimmed.ok, report: trimmed.report, offered: trimmed.offeredTools };
}

describeWithShared("the prefix cache on Claude Code's captured requests", () => {
  const fixtures = readdirSync(sharedPath("fixtures", "claude-code"))
    .filter((name) => name.endsWith(".json"))
    .filter((name) => (readCapture<Partial<MessagesRequest>>(name).body as Partial<MessagesRequest> | undefined)?.messages !== undefined);

  it("covers every captured request", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(8);
  });

  describe.each(fixtures)("%s", (name) => {
    it.each(SIZES)("%s: the cached path sends the same bytes as trimming anew, on the first request and on a repeated one", (size) => {
      const request = readCapture<MessagesRequest>(name).body;
      const plan = trimPlanFor(table, firstProfileOfSize(table, size));
      const cache = createPrefixCache();
      const text = JSON.stringify(request);
      const uncached = upstreamOf(plan, request);
      const first = upstreamOf(plan, request, { cache, text });
      expect(cache.stats()).toEqual({ hits: 0, misses: 1 });
      const repeated = upstreamOf(plan, request, { cache, text });
      expect(cache.stats()).toEqual({ hits: 1, misses: 1 });
      for (const cached of [first, repeated]) {
        expect(cached.bytes).toBe(uncached.bytes);
        expect(cached.report).toEqual(uncached.report);
        expect(cached.offered).toEqual(uncached.offered);
        expect(cached.ok).toBe(uncached.ok);
      }
      // Measured off the body's text, without serialising it: the same count as serialising.
      expect(first.report.before).toEqual(measurePrompt(request));
    });

    it.each(SIZES)("%s: a changed system prompt or tool list misses the cache, and trims to its own bytes", (size) => {
      const request = readCapture<MessagesRequest>(name).body;
      const plan = trimPlanFor(table, firstProfileOfSize(table, size));
      const cache = createPrefixCache();
      upstreamOf(plan, request, { cache, text: JSON.stringify(request) });
      const variants = [withChangedSystem(request), ...(request.tools?.length ? [withChangedTool(request)] : [])];
      for (const [index, variant] of variants.entries()) {
        const cached = upstreamOf(plan, variant, { cache, text: JSON.stringify(variant) });
        expect(cache.stats()).toEqual({ hits: 0, misses: 2 + index });
        const uncached = upstreamOf(plan, variant);
        expect(cached.bytes).toBe(uncached.bytes);
        expect(cached.report).toEqual(uncached.report);
      }
    });
  });

  it("a new session's system prompt (another project's) prints only the lines the sessions before it did not bring, and trims to the same bytes as anew", () => {
    const request = readCapture<MessagesRequest>("main-request-2plus2.json").body;
    const plan = trimPlanFor(table, firstProfileOfSize(table, "small"));
    const cache = createPrefixCache();
    upstreamOf(plan, request, { cache, text: JSON.stringify(request) });
    const seen = cache.linePrints.size;
    expect(seen).toBeGreaterThan(20);
    const other = JSON.parse(JSON.stringify(request).replaceAll("tiny-repo", "other-project")) as MessagesRequest;
    const cached = upstreamOf(plan, other, { cache, text: JSON.stringify(other) });
    expect(cache.stats()).toEqual({ hits: 0, misses: 2 });
    expect(cached.bytes).toBe(upstreamOf(plan, other).bytes);
    expect(cached.bytes).toContain("other-project");
    // The lines that name the project; every other line's print was remembered.
    expect(cache.linePrints.size - seen).toBeLessThanOrEqual(3);
  });

  it("a follow-up turn over budget: the same cuts, sizes and bytes as trimming anew", () => {
    const request = readCapture<MessagesRequest>("tool-use-followup.json").body;
    const profile = firstProfileOfSize(table, "small");
    // A budget the follow-up exceeds, so fitToBudget cuts tool results (or refuses).
    const budget = Math.ceil(measurePrompt(trimRequest(request, trimPlanFor(table, profile), templates).request).tokens * 0.9);
    const plan: TrimPlan = { ...trimPlanFor(table, { ...profile, inputBudget: budget }), trimming: { ...table.trimming.small, toolResultMaxChars: 50 } };
    const cache = createPrefixCache();
    const uncached = upstreamOf(plan, request);
    expect(uncached.report.rules.some((hit) => hit.rule === "budget")).toBe(true);
    for (let i = 0; i < 2; i++) {
      const cached = upstreamOf(plan, request, { cache, text: JSON.stringify(request) });
      expect(cached.bytes).toBe(uncached.bytes);
      expect(cached.report).toEqual(uncached.report);
    }
  });

  it("measures a message whose reminders the filters changed, next to a long text they did not, as trimming anew does", () => {
    const request = structuredClone(readCapture<MessagesRequest>("main-request-2plus2.json").body);
    const last = request.messages.findLast((message) => message.role === "user")!;
    const blocks = typeof last.content === "string" ? [{ type: "text" as const, text: last.content }] : last.content;
    const reminder = "<system-reminder>\nThe TodoWrite tool hasn't been used recently.\n</system-reminder>";
    last.content = [
      ...blocks,
      { type: "text", text: "x".repeat(1 << 20) },
      { type: "text", text: reminder },
      { type: "text", text: `before ${reminder} after` },
    ];
    for (const size of SIZES) {
      const plan = trimPlanFor(table, firstProfileOfSize(table, size));
      const cached = upstreamOf(plan, request, { cache: createPrefixCache(), text: JSON.stringify(request) });
      const uncached = upstreamOf(plan, request);
      expect(cached.report).toEqual(uncached.report);
      expect(cached.bytes).toBe(uncached.bytes);
    }
  });

  it("measures a pretty-printed body as its compact JSON", () => {
    const request = readCapture<MessagesRequest>("tool-use-followup.json").body;
    const check = checkMessagesBody(JSON.stringify(request, null, 2), validate);
    if (!check.ok) throw new Error(check.message);
    expect(measurePrompt(check.request, check.source)).toEqual(measurePrompt(request));
  });
});

describe("the prefix cache", () => {
  const request: MessagesRequest = {
    model: "claude-opus-4-8",
    max_tokens: 1024,
    system: [{ type: "text", text: "You are a helpful assistant." }],
    tools: [{ name: "lookup", description: "Looks things up.", input_schema: { type: "object", properties: { q: { type: "string" } } } }],
    messages: [{ role: "user", content: "hi" }],
  };

  it("keeps tool_choice and the profile apart", () => {
    const cache = createPrefixCache();
    const plan = trimPlanFor(table, firstProfileOfSize(table, "small"));
    const forced = { ...request, tool_choice: { type: "tool" as const, name: "lookup" } };
    for (const variant of [request, forced, request, forced]) {
      expect(upstreamOf(plan, variant, { cache, text: JSON.stringify(variant) }).bytes).toBe(upstreamOf(plan, variant).bytes);
    }
    expect(cache.stats()).toEqual({ hits: 2, misses: 2 });
    upstreamOf(trimPlanFor(table, firstProfileOfSize(table, "medium")), request, { cache, text: JSON.stringify(request) });
    expect(cache.stats()).toEqual({ hits: 2, misses: 3 });
  });

  it("shapes a tool list once for every system prompt that comes with it (each new session's first request), apart per tool_choice and profile", () => {
    const cache = createPrefixCache();
    let shaped = 0;
    const counting: PrefixCache = {
      ...cache,
      tools: (plan, source, tools, context, make) => cache.tools(plan, source, tools, context, () => (shaped++, make())),
    };
    const session = (n: number, extra: Partial<MessagesRequest> = {}): MessagesRequest => ({
      ...request,
      system: `You work in /home/dev/project-${n}.`,
      ...extra,
    });
    const small = trimPlanFor(table, firstProfileOfSize(table, "small"));
    const medium = trimPlanFor(table, firstProfileOfSize(table, "medium"));
    const forced = { tool_choice: { type: "tool" as const, name: "lookup" } };
    for (const [plan, variant] of [
      [small, session(1)],
      [small, session(2)],
      [small, session(3, forced)],
      [small, session(4, forced)],
      [medium, session(5)],
    ] as const) {
      expect(upstreamOf(plan, variant, { cache: counting, text: JSON.stringify(variant) }).bytes).toBe(upstreamOf(plan, variant).bytes);
    }
    expect(cache.stats()).toEqual({ hits: 0, misses: 5 });
    expect(shaped).toBe(3);
  });

  it("is bounded: the least recently used prefix is trimmed again", () => {
    const cache = createPrefixCache({ maxParts: 2, maxPrefixes: 2 });
    const plan = trimPlanFor(table, firstProfileOfSize(table, "small"));
    const variant = (n: number) => ({ ...request, system: `system ${n}` });
    for (const n of [1, 2, 1, 3, 2]) upstreamOf(plan, variant(n), { cache, text: JSON.stringify(variant(n)) });
    // 1 and 2 miss, 1 hits, 3 misses (2 is dropped), 2 misses again.
    expect(cache.stats()).toEqual({ hits: 1, misses: 4 });
  });

  it("knows tools only once a request with them was trimmed, and still refuses what the schema refuses", () => {
    const cache = createPrefixCache();
    const text = JSON.stringify(request);
    const check = checkMessagesBody(text, validate, { cache });
    if (!check.ok) throw new Error(check.message);
    expect(cache.parsed("tools", check.source.toolsJson!)).toBeUndefined();
    trimRequest(check.request, trimPlanFor(table, firstProfileOfSize(table, "small")), templates, { cache, source: check.source });
    expect(cache.parsed("tools", check.source.toolsJson!)).toEqual(request.tools);
    // The next request with the same tools and system prompt parses only the rest, and gets the same request.
    const again = checkMessagesBody(text, validate, { cache });
    expect(again).toEqual(check);
    // Around known parts, a body that is not JSON is still refused as one.
    expect(checkMessagesBody(text.replace('"messages":', '"messages": x'), validate, { cache })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^The request body is not valid JSON/),
    });
    // Known tools are not walked again; everything else still is.
    expect(checkMessagesBody(JSON.stringify({ ...request, max_tokens: -1 }), validate, { cache })).toEqual({
      ok: false,
      message: "max_tokens: Input should be greater than or equal to 0",
    });
    expect(checkMessagesBody(JSON.stringify({ ...request, tools: [{ name: "" }] }), validate, { cache })).toEqual({
      ok: false,
      message: "tools.0.name: must NOT have fewer than 1 characters",
    });
  });
});

describe("a body read as its bytes (what the server keeps of a body up to 1 MB)", () => {
  // Non-ASCII in every part (2-, 3- and 4-byte characters): the text path decodes all of it as UTF-16.
  const request: MessagesRequest = {
    model: "claude-opus-4-8",
    max_tokens: 1024,
    system: [{ type: "text", text: "You are a helpful assistant — café 🤖." }],
    tools: [{ name: "lookup", description: "Looks things up → fast…", input_schema: { type: "object", properties: { q: { type: "string" } } } }],
    messages: [{ role: "user", content: "hé — 🤖 two" }],
  };
  const trimmedOnce = (cache: PrefixCache, body: string | Buffer) => {
    const check = checkMessagesBody(body, validate, { cache });
    if (!check.ok) throw new Error(check.message);
    trimRequest(check.request, trimPlanFor(table, firstProfileOfSize(table, "small")), templates, { cache, source: check.source });
    return check;
  };

  it("gives the request and source its text gives, before and after the cache knows its parts, which it then finds by their bytes", () => {
    const cache = createPrefixCache();
    for (const text of [JSON.stringify(request), JSON.stringify(request, null, 2)]) {
      const asText = checkMessagesBody(text, validate);
      expect(checkMessagesBody(Buffer.from(text), validate, { cache })).toEqual(asText);
      trimmedOnce(cache, Buffer.from(text));
      const known = checkMessagesBody(Buffer.from(text), validate, { cache });
      expect(known).toEqual(asText);
      if (!known.ok) throw new Error(known.message);
      expect(known.request.tools).toBe(cache.parsed("tools", known.source.toolsJson!));
      expect(known.request.system).toBe(cache.parsed("system", known.source.systemJson!));
    }
    // A part one byte apart is not the known one: read, not matched.
    const changed = JSON.stringify({ ...request, tools: [{ ...request.tools![0]!, description: "Looks things up → fast…!" }] });
    const check = checkMessagesBody(Buffer.from(changed), validate, { cache });
    expect(check).toEqual(checkMessagesBody(changed, validate));
    expect(check.ok && check.request.tools![0]!.description).toBe("Looks things up → fast…!");
  });

  it("decodes what is not known as Buffer#toString does (invalid UTF-8 becomes U+FFFD) and refuses what the text would be refused for", () => {
    const cache = createPrefixCache();
    const text = JSON.stringify(request);
    trimmedOnce(cache, Buffer.from(text));
    // A lone lead byte and a cut 4-byte character in the user's message.
    const bytes = Buffer.from(text);
    const broken = Buffer.concat([bytes.subarray(0, bytes.indexOf("two")), Buffer.from([0xc3, 0xf0, 0x9f, 0xa4]), bytes.subarray(bytes.indexOf("two"))]);
    const check = checkMessagesBody(broken, validate, { cache });
    expect(check).toEqual(checkMessagesBody(broken.toString("utf8"), validate));
    expect(check.ok && check.request.messages[0]!.content).toContain("\ufffd");
    // Around known parts: not JSON (at its position in the body as sent), nested too deep, and a value the schema refuses are refused as from text.
    for (const bad of [
      text.replace('"messages":', '"messages": x'),
      text.replace('"content":"hé', `"metadata":${"[".repeat(300)}${"]".repeat(300)},"content":"hé`),
      JSON.stringify({ ...request, max_tokens: -1 }),
    ]) {
      const refused = checkMessagesBody(Buffer.from(bad), validate, { cache });
      expect(refused.ok).toBe(false);
      expect(refused).toEqual(checkMessagesBody(bad, validate));
    }
  });
});

function withChangedSystem(request: MessagesRequest): MessagesRequest {
  const system = request.system;
  if (system === undefined || typeof system === "string") return { ...request, system: `${system ?? ""} (changed)` };
  return { ...request, system: system.map((block, index) => (index === system.length - 1 ? { ...block, text: `${block.text} (changed)` } : block)) };
}

function withChangedTool(request: MessagesRequest): MessagesRequest {
  const tools = request.tools ?? [];
  return {
    ...request,
    tools: tools.map((tool, index) =>
      index === tools.length - 1 && "description" in tool ? { ...tool, description: `${tool.description ?? ""} (changed)` } : tool,
    ),
  };
}
