// The model classifier on a corpus of Claude Code sessions (bench/classifier-corpus.json): how many
// requests the shipped rules route with no classifier call, and how long the classifier's prompt is.
// Real mallex (dist/) with classifier.mode model, in front of a loopback backend that answers every
// classification "none" and every other request "ok": only routing is measured, never a model.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureCompiled } from "#dist/compile/ensure-compiled.js";
import { loadValidator } from "#dist/shared/load-validator.js";
import { CLASSIFIER_MAX_TOKENS } from "#dist/router/classifier-prompt.js";
import { estimateTokens } from "#dist/translate/estimate-tokens.js";
import { startProxy } from "#dist/server/start-proxy.js";
import { loadTemplates } from "#dist/templates/load-templates.js";
import { readCapturedRequest } from "./captured-request.js";
import { percentile } from "./stats.js";

const root = fileURLToPath(new URL("..", import.meta.url));

export async function benchClassifier({ corpusPath = join(root, "bench", "classifier-corpus.json") } = {}) {
  const corpus = JSON.parse(readFileSync(corpusPath, "utf8"));
  const home = mkdtempSync(join(tmpdir(), "mallex-bench-classifier-"));
  const backend = await startBackend();
  let proxy;
  try {
    const outDir = join(home, "generated");
    const { table } = await ensureCompiled({ configPath: join(root, "mallex.yaml"), outDir, cwd: root, env: {}, packageRoot: root });
    // The shipped config with the classifier on, asking the default tier's profile.
    table.classifier = { ...table.classifier, mode: "model", profile: table.tiers[table.routing.defaultTier].profile };
    const templates = await loadTemplates(outDir);
    const validateMessages = await loadValidator(root, "validate-messages");
    proxy = await startProxy({ table, templates, validateMessages, env: {}, mallexHome: home, port: 0, backendUrl: backend.url, print: () => {} });

    const { fixture, headers, path } = readCapturedRequest();
    const counts = { requests: 0, turns: 0, roundTrips: 0, byRule: 0, turnsByRule: 0, byTurn: 0 };
    const asked = [];
    for (const [s, session] of corpus.sessions.entries()) {
      const sessionHeaders = { ...headers, "x-claude-code-session-id": `bench-session-${s}` };
      const messages = [];
      for (const [t, turn] of session.turns.entries()) {
        messages.push(t === 0 ? firstUserMessage(fixture.body, turn.text) : { role: "user", content: [{ type: "text", text: turn.text }] });
        // Claude Code's mid-conversation system message (agent and skill lists) follows the first prompt.
        if (t === 0) messages.push(...fixture.body.messages.filter((m) => m.role === "system"));
        for (let r = 0; r <= turn.roundTrips; r++) {
          if (r > 0) {
            const id = `toolu_bench_${s}_${t}_${r}`;
            messages.push({
              role: "assistant",
              content: [
                { type: "text", text: "Let me look." },
                { type: "tool_use", id, name: "Read", input: { file_path: `/home/dev/project/src/file${r}.ts` } },
              ],
            });
            messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: id, content: `export const answer${r} = ${r};\n`.repeat(20) }] });
          }
          const reason = await routeReason(proxy.url, path, sessionHeaders, { ...fixture.body, stream: false, messages });
          counts.requests++;
          if (reason.endsWith("(cached)")) counts.byTurn++;
          else if (!reason.includes("classifier")) {
            counts.byRule++;
            if (r === 0) counts.turnsByRule++;
          } else if (r === 0) asked.push(turn.text);
        }
        counts.turns++;
        counts.roundTrips += turn.roundTrips;
        messages.push({ role: "assistant", content: [{ type: "text", text: "Done." }] });
      }
    }
    const calls = backend.prompts.length;
    const tokens = backend.prompts.map((prompt) => estimateTokens(prompt.length));
    const share = (n, of) => `${((100 * n) / of).toFixed(1)}%`;
    const quote = (text) => JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
    return [
      `Model classifier (classifier.mode model, the shipped intent rules): ${corpus.sessions.length} Claude Code sessions, ${counts.turns} user turns, ${counts.roundTrips} tool round trips (bench/classifier-corpus.json)`,
      "",
      "| requests | routed by a rule | where the turn went (cached) | classifier calls | routed with no classifier call | user turns a rule decides | classifier prompt, tokens p50 / max |",
      "|---:|---:|---:|---:|---:|---:|---:|",
      `| ${counts.requests} | ${counts.byRule} | ${counts.byTurn} | ${calls} | ${share(counts.requests - calls, counts.requests)} | ${counts.turnsByRule} of ${counts.turns} (${share(counts.turnsByRule, counts.turns)}) | ${calls ? `${percentile(tokens, 50)} / ${Math.max(...tokens)}` : "–"} |`,
      "",
      `The classifier was asked about: ${asked.map(quote).join(", ") || "nothing"}.`,
    ].join("\n");
  } finally {
    await proxy?.close();
    await backend.close();
    rmSync(home, { recursive: true, force: true });
  }
}

/** Claude Code's first user message of the capture (its <system-reminder> context block kept) with another prompt. */
function firstUserMessage(body, text) {
  const first = body.messages[0];
  const blocks = first.content.filter((block) => block.type === "text" && block.text.trimStart().startsWith("<system-reminder>"));
  return { role: "user", content: [...blocks, { type: "text", text }] };
}

/** POSTs one request and returns the reason of its x-mallex-route header. */
async function routeReason(baseUrl, path, headers, body) {
  const response = await fetch(`${baseUrl}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`mallex answered ${response.status} to a corpus request`);
  const raw = /(?:^|; )reason=(.*)$/.exec(response.headers.get("x-mallex-route") ?? "")?.[1];
  if (raw === undefined) throw new Error("a routed answer without x-mallex-route");
  return raw.startsWith('"') ? JSON.parse(raw) : raw;
}

/** An OpenAI-compatible backend on loopback: a classification gets {"intent": "none"}, anything else "ok". */
async function startBackend() {
  const prompts = [];
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk) => (raw += chunk));
    req.on("end", () => {
      // What mallex asks a server about itself (its model list, llama-server's /props, Ollama's /api/ps)
      // gets what an OpenAI-compatible server without those endpoints answers.
      if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
        return;
      }
      const body = JSON.parse(raw);
      const classifying = body.max_tokens === CLASSIFIER_MAX_TOKENS && body.messages.length === 1;
      if (classifying) prompts.push(body.messages[0].content);
      const content = classifying ? '{"intent": "none"}' : "ok";
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: "chatcmpl-bench",
          object: "chat.completion",
          choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
          usage: { prompt_tokens: 1, completion_tokens: 1 },
        }),
      );
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}/v1`,
    prompts,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchClassifier());
