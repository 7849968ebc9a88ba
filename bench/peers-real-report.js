// The markdown bench/peers-real.js prints for docs/benchmarks.md: what ran where, then per target the time to
// first token of Claude Code's first and later request (each round, and the median over the floor's),
// the tokens the model was given and had to prefill (and where each number comes from), and the tool
// round trip: the first answer's tool_use blocks checked against the request's tool schemas, and
// whether the follow-up was answered.
import { basename } from "node:path";
import { describeMessage } from "./peers-real-conversation.js";

const seconds = (ms) => (ms === undefined ? "—" : `${(ms / 1000).toFixed(1)} s`);
const count = (n) => (n === undefined ? "?" : n.toLocaleString("en-US"));

function median(values) {
  const sorted = values.filter((value) => value !== undefined).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** What the model was given and had to prefill for one request, and where the numbers come from. */
function tokens(target, request) {
  if (!request || request.status !== 200) return { text: "—", prefilled: undefined };
  if (target.protocol === "openai") return fromServer(request.openaiUsage);
  // A proxy that did not ask the server for usage (stream_options) has its own answer's usage to show.
  if (target.relay && request.sent?.usage) return fromServer(request.sent.usage);
  const usage = request.message?.usage ?? {};
  const cached = usage.cache_read_input_tokens ?? 0;
  const prompt = usage.input_tokens === undefined ? undefined : usage.input_tokens + cached;
  return { text: `${count(prompt)} / ${count(usage.input_tokens)}`, prefilled: usage.input_tokens };
}

/** When the server sent the model's first token for a relayed request, counted from when the relay forwarded it. */
function serverFirstToken(request) {
  const sent = request?.sent;
  return sent?.firstTokenAt === undefined ? undefined : sent.firstTokenAt - sent.forwardedAt;
}

function completionTokens(target, request) {
  if (!request || request.status !== 200) return undefined;
  if (target.protocol === "openai") return request.openaiUsage?.completionTokens;
  return request.sent?.usage?.completionTokens ?? request.message?.usage?.output_tokens;
}

function fromServer(usage) {
  if (!usage) return { text: "not reported", prefilled: undefined };
  const prefilled = usage.cachedTokens === undefined ? undefined : usage.promptTokens - usage.cachedTokens;
  return { text: `${count(usage.promptTokens)} / ${count(prefilled)}`, prefilled };
}

/** Whether the follow-up got an answer: a 200 whose stream has content and a stop_reason, and no error event. */
function answered(request) {
  if (!request) return "not sent";
  if (request.status !== 200) return `HTTP ${request.status}: ${request.error?.slice(0, 120)}`;
  if (!request.message) return "answered";
  const { message } = request;
  if (message.errors.length > 0) return `error event: ${message.errors[0].slice(0, 120)}`;
  return message.content.length > 0 && message.stop_reason ? `yes: ${describeMessage(message)}` : `no content: ${describeMessage(message)}`;
}

function toolUse(request) {
  if (!request || request.status !== 200)
    return { valid: "—", expected: "—", answer: request ? `HTTP ${request.status}: ${request.error?.slice(0, 160)}` : "not sent" };
  const calls = request.calls ?? [];
  if (calls.length === 0) return { valid: "no tool_use", expected: "no", answer: describeMessage(request.message) };
  const valid = calls.every((call) => call.valid) ? `yes (${calls.length})` : `no: ${calls.find((call) => !call.valid).why}`;
  return { valid, expected: calls.some((call) => call.expected) ? "yes" : "no", answer: describeMessage(request.message) };
}

export function report({ targets, results, rounds, maxTokens, kit, load, minutes, roundTrip, versions, blas }) {
  const floor = targets.find((target) => target.protocol === "openai");
  const floorOf = (key) => (floor ? median(results.get(floor.id).map((run) => run[key]?.ttft)) : undefined);
  const ratio = (value, base) => (value === undefined || base === undefined ? "—" : `${(value / base).toFixed(2)}×`);
  const [floorFirst, floorLater] = [floorOf("first"), floorOf("later")];
  const model = kit.model ?? {};
  const lines = [
    `### mallex and its peers on one real model: Claude Code's tool round trip through each to the same mlx_lm.server`,
    "",
    `\`npm run bench:peers-real -- --rounds ${rounds}\` (it builds first; run by hand, not in CI), ${minutes.toFixed(0)} minutes. ${versions.machine}; 1-minute load average ${load.start.toFixed(2)} at the start, ${load.end.toFixed(2)} at the end.`,
    "",
    `Model: ${model.title ?? basename(kit.mlx_model)}, ${model.quantization ?? "?"} weights (the MLX folder holds them dequantized to float32), from ${model.source ?? "?"}: the model kit's \`${basename(kit.mlx_model)}\`. Served by mlx_lm.server (${versions.mlx}; ${blas?.kind === "preload" ? `the system OpenBLAS preloaded, as mallex's supervisor does` : "no OpenBLAS preloaded"}) at its defaults${versions.vllmMlx ? `; vllm-mlx loads the same folder itself (${versions.vllmMlx})` : ""}.`,
    "",
    `Claude Code's captured request (${count(roundTrip.capturedBytes)} bytes: "create hello.txt containing hi", 24 tools), max_tokens ${count(maxTokens)} in place of its 64,000 so that no answer runs for hours; then its captured follow-up with each target's own answer and a tool_result per call. Before each first request the server's prompt cache is emptied of everything earlier; the later request comes right after, so the server's cache holds the first one's prompt and answer.`,
    "",
    "| target | what the server got (first request) | time to first token, first request (each round) | ÷ floor | later request (each round) | ÷ floor |",
    "|---|---|---|---|---|---|",
  ];
  for (const target of targets) {
    const runs = results.get(target.id);
    const first = runs.map((run) => run.first?.ttft);
    const later = runs.map((run) => run.later?.ttft);
    const sent = runs[0]?.first?.sent;
    const what = target.relay
      ? `${count(sent?.bytes)} bytes of OpenAI JSON`
      : target.protocol === "openai"
        ? "mallex's request, replayed"
        : "Claude Code's request (its own server)";
    const isFloor = target === floor;
    lines.push(
      `| ${target.label} | ${what} | ${first.map(seconds).join(" / ")} | ${isFloor ? "floor" : ratio(median(first), floorFirst)} | ${later.map(seconds).join(" / ")} | ${isFloor ? "floor" : ratio(median(later), floorLater)} |`,
    );
  }
  lines.push(
    "",
    "Time to first token: from sending the request to the first `content_block_delta` (for the floor, the first chunk with `delta.content` or `delta.tool_calls`). A proxy that turns text into tool_use blocks sends a call's first delta only once the call is whole, so for an answer that is a tool call this is nearer the end of the answer than its start; the next table separates the model's time from the proxy's.",
    "",
    "| target | the model's first token, first request (server clock) | later request | whole answer, first request (client clock) | ÷ floor | later request | ÷ floor | tokens generated (first · later) |",
    "|---|---|---|---|---|---|---|---|",
  );
  const floorTotal = (key) => (floor ? median(results.get(floor.id).map((run) => run[key]?.total)) : undefined);
  for (const target of targets) {
    const runs = results.get(target.id);
    const isFloor = target === floor;
    const modelFirst = (key) => runs.map((run) => seconds(isFloor ? run[key]?.ttft : serverFirstToken(run[key]))).join(" / ");
    const total = (key) => runs.map((run) => seconds(run[key]?.total)).join(" / ");
    const generated = (key) => runs.map((run) => count(completionTokens(target, run[key]))).join(" / ");
    const totalRatio = (key) => (isFloor ? "floor" : ratio(median(runs.map((run) => run[key]?.total)), floorTotal(key)));
    lines.push(
      `| ${target.label} | ${modelFirst("first")} | ${modelFirst("later")} | ${total("first")} | ${totalRatio("first")} | ${total("later")} | ${totalRatio("later")} | ${generated("first")} · ${generated("later")} |`,
    );
  }
  lines.push(
    "",
    "The model's first token: on the relay's clock, from forwarding the request to the server until the server's first chunk with content or tool_calls (for the floor, the client's time to first token; for vllm-mlx, which has no relay, \"—\"). Whole answer: from sending the request until the stream ended. With the same prompt and greedy sampling the floor's answer is mallex's answer, token for token, so its whole-answer ratio is mallex's own cost.",
    "",
    "| target | first request: prompt tokens / prefilled (each round) | later request: prompt tokens / prefilled | where the numbers come from |",
    "|---|---|---|---|",
  );
  for (const target of targets) {
    const runs = results.get(target.id);
    const fromRelay = runs.some((run) => run.first?.sent?.usage);
    const source =
      target.protocol === "openai"
        ? "mlx_lm.server's usage in its answer"
        : target.relay && fromRelay
          ? "mlx_lm.server's usage, read by the relay as it passed (prompt_tokens; prefilled = prompt_tokens − prompt_tokens_details.cached_tokens)"
          : "its Anthropic answer's usage (input_tokens + cache_read_input_tokens / input_tokens): it did not ask the server for usage";
    const cell = (key) => runs.map((run) => tokens(target, run[key]).text).join(" · ");
    lines.push(`| ${target.label} | ${cell("first")} | ${cell("later")} | ${source} |`);
  }
  lines.push(
    "",
    "| target | round | first answer | valid tool_use (tool offered, input valid against its schema) | the expected call (Write hi to hello.txt) | follow-up answered |",
    "|---|---|---|---|---|---|",
  );
  for (const target of targets.filter((candidate) => candidate.protocol === "anthropic")) {
    results.get(target.id).forEach((run, round) => {
      const use = toolUse(run.first);
      const followup = run.later?.ownAnswer === false ? " (the captured follow-up: no valid call to answer)" : "";
      lines.push(
        `| ${target.label} | ${round + 1} | ${escape(use.answer)} | ${escape(use.valid)} | ${use.expected} | ${escape(answered(run.later))}${followup} |`,
      );
    });
  }
  return lines.join("\n");
}

const escape = (text) => String(text).replace(/\|/g, "\\|").replace(/\n/g, " ");
