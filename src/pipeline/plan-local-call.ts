import type { Size } from "../../generated/config.js";
import { poolSessionKey } from "../backends/pool/pool-session-key.js";
import { bodyChars, type UpstreamBody } from "../backends/upstream-body.js";
import type { PromptSource } from "../router/describe-request.js";
import { escalateForBudget, type RouteDecision, escalateOnTtft } from "../router/select-route.js";
import { whenReady, type MaybePromise } from "../shared/maybe-promise.js";
import { trimPlanFor, trimToFit, type SmallerSize } from "../trim/plan-trim.js";
import { trimRequestSteps } from "../trim/trim-request.js";
import { runStepsYielding, STEP_SLICE_MS } from "../trim/run-steps.js";
import { summarizeTrimReport } from "../trim/summarize-trim-report.js";
import type { TrimReport, TrimResult } from "../trim/trim-types.js";
import type { AnthropicMessage, MessagesRequest } from "../translate/anthropic-types.js";
import { describeFirstLook, firstLook, firstLookAnswer } from "./first-look/first-look.js";
import type { AnthropicResponseContext } from "../translate/convert-openai-response.js";
import { decideThinking } from "../translate/decide-thinking.js";
import { answerContextFor } from "./answer-context.js";
import { buildUpstreamRequest } from "./build-upstream-request.js";
import { callNotes } from "./call-notes.js";
import { planAnswerChecks } from "./answer-checks/plan-answer-checks.js";
import type { UnknownCallRetry } from "./answer-checks/retry-unknown-calls.js";
import type { EchoedResultRetry } from "./answer-checks/retry-echoed-results.js";
import type { InvalidJsonRetry } from "./answer-checks/retry-invalid-json.js";
import type { WholeFileAskRetry } from "./answer-checks/whole-file-writes.js";
import type { EnforcedCall } from "./answer-checks/check-enforced-call.js";
import { refusal, type Refusal } from "./refusal.js";
import { forcedCallPlan, type ForcedCall } from "./answer-checks/keep-forced-call.js";
import type { ReadFile } from "../translate/tool-calls/whole-file-write.js";
import { profileTranslateOptions } from "./profile-translate-options.js";
import type { CallRecord } from "../observe/request-record.js";
import type { RequestScope } from "./request-scope.js";
import { profileForAnswer } from "./profile-for-answer.js";
import { leavesRoomToTalk } from "../shared/context/small-context.js";

/** What a local call needs once its upstream body is written: nothing of the request it came from but these. */
export interface PreparedCall {
  route: RouteDecision;
  routeLabel: string;
  upstreamBody: UpstreamBody;
  streamUpstream: boolean;
  /** The client asked for a stream (`stream: true`). */
  clientStream: boolean;
  wantsJson: boolean;
  /** The call's part of the request's record: its metrics, and what happens to it from here. */
  record: CallRecord;
  translateContext: AnthropicResponseContext;
  /** The trimmed prompt's estimated size (message_start's until usage comes) and its session, for the learned prefill rates. */
  prompt: { estimatedTokens: number; sessionId: string | null };
  /** The request's session as its backend's pool places it (absent: the backend has one server). */
  poolSession?: string;
  /** Its session for its turn in a busy backend's queue: the pool's, or the same key computed when the request has to wait. */
  queueSession: string | (() => string);
  /** A forced tool call the server does not enforce, with what a corrective retry needs. */
  forced?: ForcedCall;
  /** A forced tool call the server enforces: its answer is still checked for the call, as it streams. */
  enforced?: EnforcedCall;
  /** The Reply tool was offered (tools.always_call, or a retry of tools.retry_unknown_calls): its calls reach the client as text (reply-tool.ts). */
  replyTool?: boolean;
  /** An answer that calls a tool the request does not offer is asked for again (tools.retry_unknown_calls); checked whole. */
  unknownCalls?: UnknownCallRetry;
  /** tools.whole_file_writes: the files read whole, newest first; an answer rewriting one in a code block becomes its Write. */
  wholeFile?: readonly ReadFile[];
  /** tools.whole_file_writes: the file the model was asked for; an answer that is it, or another file read, as it was is sampled again, up to twice. */
  fileAsked?: WholeFileAskRetry;
  /** tools.retry_echoed_results: an answer that would write a tool's message into a file is asked again, once; checked whole. */
  echoedResults?: EchoedResultRetry;
  /** tools.retry_invalid_json: an answer that would leave a JSON file unparsable is asked again, once; checked whole. */
  invalidJson?: InvalidJsonRetry;
  /**
   * Its prompt is no session's prefix, and takes a one-slot server's place from the one that is: once
   * answered, what it came after, for the log, where the slot gets the stable prefix back
   * (ServerContext.restorePrefix); undefined to leave the slot as it is.
   */
  restoresPrefixAfter?: () => string | undefined;
  /** Its prompt opens with the profile's stable prefix (a session's request): once answered, the server's slot holds that session (ServerContext.slotHolds). */
  opensWithPrefix?: boolean;
}

/** A prepared call once sent: what reading its answer (and a forced call's retries) needs. */
export type AnsweringCall = Omit<PreparedCall, "upstreamBody" | "queueSession"> & { queueSession?: PreparedCall["queueSession"] };

/** A local call ready to send, another route to send the request to instead, or the request's refusal. */
export type LocalCallPlan =
  | { kind: "call"; call: PreparedCall }
  | { kind: "escalate"; route: RouteDecision }
  | { kind: "refuse"; refusal: Refusal }
  /** Answered by mallex without the model (tools.read_named_files). */
  | { kind: "answer"; message: AnthropicMessage };

/**
 * Trims and translates the request: the upstream body and what reading the answer needs — or a
 * higher route when it does not fit this one's budget or this one is too slow to start answering it,
 * or a refusal. Synchronous but for a long trim, which gives the event loop turns (trimForRoute) and
 * so comes as a promise. Throws TranslateError for what the profile cannot take.
 */
export function planLocalCall(scope: RequestScope, routed: RoutedRequest): MaybePromise<LocalCallPlan> {
  return whenReady(trimForRoute(scope, routed), (fitted) => planTrimmedCall(scope, routed, fitted));
}

/** A routed request: what planning its local call reads. */
export interface RoutedRequest extends TrimInput {
  /** The route as the request's log lines name it. */
  routeLabel: string;
  /** The prompt's size in characters as it came, for the log line. */
  charsIn: number;
}

type FittedTrim = { trimmed: TrimResult; smaller?: SmallerSize };

/** What trimming a routed request reads. */
export interface TrimInput {
  /** The request as the client sent it. */
  request: MessagesRequest;
  /** Where its prompt's parts are in the body's text (checkMessagesBody). */
  source: PromptSource;
  route: RouteDecision;
  /** The client's `user-agent` (Claude Code's names its release). */
  userAgent: string | undefined;
}

/**
 * The request trimmed for its route's profile — as a smaller size's when only that fits the budget, or
 * leaves a small context's session room to talk (see trimToFit, leavesRoomToTalk) — with its report
 * shown to the request's watch and to the Claude Code drift alarm.
 * Trimming runs as steps: one whose filters take longer than STEP_SLICE_MS gives the event loop a turn
 * every slice (so /health and other clients are answered meanwhile) and comes back as a promise; a
 * normal one stays synchronous.
 */
function trimForRoute(scope: RequestScope, { request, source, route, userAgent }: TrimInput): MaybePromise<FittedTrim> {
  const { templates, prefixCache, learnedOwnLines } = scope.server;
  // The system prompt and tools come trimmed from the prefix cache after the first request with them.
  const trim = (size: Size) =>
    trimRequestSteps(request, trimPlanFor(scope.table, route.profile, size), templates, {
      cache: prefixCache,
      source,
      userAgent,
      ...(learnedOwnLines === undefined ? {} : { learned: learnedOwnLines }),
    });
  const { contextWindow, inputBudget } = route.profile;
  const roomy = (trimmed: TrimResult) => leavesRoomToTalk(contextWindow, inputBudget, trimmed.report.prefixTokens);
  const fitted = runStepsYielding(trimToFit(trim, route.profile.size, roomy), { sliceMs: STEP_SLICE_MS, now: () => performance.now() });
  return whenReady(fitted, (fit) => observed(scope, route, fit));
}

function observed(scope: RequestScope, route: RouteDecision, fitted: FittedTrim): FittedTrim {
  scope.watch?.trimmed(route, fitted.trimmed.report);
  // Untrimmed, no rule places anything: that is the profile's choice, not a Claude Code release that changed.
  if (route.profile.trim !== false) scope.server.claudeCodeDrift?.observe(fitted.trimmed.report);
  return fitted;
}

/** The rest of planLocalCall once the request is trimmed: synchronous. */
function planTrimmedCall(scope: RequestScope, { request, route, routeLabel, charsIn }: RoutedRequest, { trimmed, smaller }: FittedTrim): LocalCallPlan {
  const { server } = scope;
  const backend = server.backends[route.profile.backend]!;
  if (!trimmed.ok) return overBudget(scope, route, routeLabel, trimmed);
  // tools.run_named_commands, read_named_files, search_named_symbols: what the user's request names is run, read or searched before the model is asked.
  const look = firstLook(route.profile, request, trimmed.offeredTools);
  if (look !== undefined) {
    const ids = { message: server.deps.generateId("msg"), nextCall: () => server.deps.generateId("toolu") };
    const message = firstLookAnswer(look, request.model, ids);
    scope.log(`${routeLabel} · answered by mallex, not the model: ${describeFirstLook(look)} · stop ${message.stop_reason}`);
    return { kind: "answer", message };
  }
  const prompt = { estimatedTokens: trimmed.report.after.tokens, sessionId: scope.session ?? null };
  const slow = server.ttft && escalateOnTtft(server.ttft, scope.table, route, prompt, scope.available);
  if (slow) scope.log(`${routeLabel} · ${slow.note}`);
  if (slow?.route) return { kind: "escalate", route: slow.route };

  // A small context holds the answer to what leaves the next request room.
  const answering = profileForAnswer(route.profile, prompt.estimatedTokens, trimmed.report);
  const options = profileTranslateOptions(answering.profile, backend.flavor);
  const checks = planAnswerChecks(route.profile, request, trimmed, options);
  const { asked, offeredTools } = checks;
  const upstream = buildUpstreamRequest(asked, checks.sent, options, checks.readWhole);
  // A question sent alone, without tools, is no session's prefix: the next session starts with the tools.
  const opensWithPrefix = !checks.alone && server.stablePrefixes?.remember(route.profile, upstream.request) === true;
  const poolSession = server.pools?.for(backend.name) === undefined ? undefined : poolSessionKey(prompt.sessionId, request);
  const queueSession = poolSession ?? sessionKeyWhenAsked(prompt.sessionId, request);
  const thinking = decideThinking(request.thinking, options.thinking);
  const notes = [...callNotes(request, { options, profile: route.profile, smaller, thinking }), ...checks.notes];
  // From the request's arrival, as /metrics, the dashboard and mallex eval time it: the log line's ttft is the same number,
  // mallex's own trimming included (on a loaded machine it is not nothing).
  const record = scope.record.startCall({ route: routeLabel, charsIn, charsOut: bodyChars(upstream.body), trim: trimmed.report, notes });
  const translateContext = answerContextFor(
    { deps: server.deps, schemaCache: server.schemaCache, table: scope.table },
    {
      request,
      profile: route.profile,
      options,
      thinking,
      offeredTools,
      upstream,
      record,
      contextCap: answering.contextCap,
      summary: trimmed.report.compaction !== undefined,
    },
  );
  const call: PreparedCall = {
    route,
    routeLabel,
    upstreamBody: upstream.body,
    streamUpstream: upstream.streamed,
    clientStream: request.stream === true,
    // A JSON answer may come wrapped in prose or a code fence: asked for in words, or from a server
    // that takes response_format without enforcing it.
    wantsJson: request.output_config?.format !== undefined,
    record,
    translateContext,
    prompt,
    ...(poolSession === undefined ? {} : { poolSession }),
    queueSession,
    ...forcedCallPlan(
      asked.tool_choice,
      upstream.forced,
      { upstreamRequest: upstream.request, offeredTools, retries: route.profile.forcedCallRetries, ...(checks.action ? { lenient: true } : {}) },
      { profile: route.profile.name, flavor: backend.flavor },
    ),
    ...(checks.action ? { replyTool: true } : {}),
    ...(checks.unknownCalls === undefined ? {} : { unknownCalls: { ...checks.unknownCalls, upstreamRequest: upstream.request } }),
    ...(checks.wholeFile === undefined ? {} : { wholeFile: checks.wholeFile }),
    ...(checks.fileAsked === undefined ? {} : { fileAsked: { ...checks.fileAsked, upstreamRequest: upstream.request } }),
    ...(checks.echoed ? { echoedResults: { messages: asked.messages, upstreamRequest: upstream.request } } : {}),
    ...(checks.invalidJson
      ? {
          invalidJson: {
            messages: asked.messages,
            upstreamRequest: upstream.request,
            ...(checks.wholeFile === undefined ? {} : { wholeFile: { files: checks.wholeFile, renamed: checks.fileAsked?.asked.rename } }),
          },
        }
      : {}),
    ...restoresPrefix(checks.alone, trimmed.report, record),
    ...(opensWithPrefix ? { opensWithPrefix: true } : {}),
  };
  return { kind: "call", call };
}

/**
 * When a call's prompt takes a one-slot server's place from the session's: a question sent alone,
 * and a compaction mallex rewrote (its own system prompt, no tools: nothing of the session's prompt).
 * The compaction's slot is left to it while its summary is cut, since Claude Code then asks to go on
 * and that request reads this prompt from the cache; once the summary is whole, or Claude Code has
 * asked to go on for the last time (SmolLM2's three pieces cut at 256 tokens), the session's next
 * request carries it after the stable prefix, which the slot gets back (SmolLM2 at 4 K: that request
 * read 5 of its 1,242 tokens from the cache before, 438 of 1,216 after).
 */
function restoresPrefix(alone: boolean, trim: TrimReport, record: CallRecord): Pick<PreparedCall, "restoresPrefixAfter"> {
  if (alone) return { restoresPrefixAfter: () => "a question sent alone" };
  if (trim.compaction?.rewritten !== true) return {};
  const last = trim.compaction.lastPiece === true;
  return { restoresPrefixAfter: () => (last || WHOLE_ANSWER.has(record.metrics.stopReason ?? "") ? "a compaction's summary" : undefined) };
}

/** The stops of an answer that ended on its own: Claude Code asks for no more of it. */
const WHOLE_ANSWER = new Set(["end_turn", "stop_sequence"]);

/** Over its route's budget after every cut: a higher route that can take it, else the refusal. Said on the request's log line either way. */
function overBudget(scope: RequestScope, route: RouteDecision, routeLabel: string, trimmed: TrimResult & { ok: false }): LocalCallPlan {
  const higher = escalateForBudget(route, scope.table, scope.available);
  scope.log(
    `${routeLabel} · ${summarizeTrimReport(trimmed.report)} · ${higher ? `over budget, escalating to ${higher.profile.name}` : `refused: ${trimmed.error.message}`}`,
  );
  if (higher) return { kind: "escalate", route: higher };
  return { kind: "refuse", refusal: refusal(trimmed.error.status, trimmed.error.message, { retry: false }) };
}

/**
 * The request's session key, computed only when a busy backend's queue asks for it. A function of its
 * own: a closure made in planLocalCall would share that frame's context, and keep the request alive
 * for as long as any closure made there does.
 */
function sessionKeyWhenAsked(sessionId: string | null, request: MessagesRequest): () => string {
  return () => poolSessionKey(sessionId, request);
}
