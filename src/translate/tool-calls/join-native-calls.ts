import type { OpenAIToolCallDelta } from "../openai-types.js";
import { formatInvalidCallNote, type ResolvedToolCall } from "./resolve-tool-call.js";
import { createJsonObjectTracker, MAX_ARGUMENT_DEPTH, type JsonObjectTracker } from "./track-json-object.js";

/** A native tool call being assembled from fragments: joined once, when it is whole. */
interface PendingCall {
  name: string | undefined;
  parts: string[];
  json: JsonObjectTracker;
  done: boolean;
}

/** Native tool calls from their fragments (whole from mlx, incremental by index from vLLM/llama.cpp). */
export interface NativeCallJoiner {
  /** One fragment: the call it belongs to once that call is whole (or nests too deep ever to be), else undefined. */
  feed(delta: OpenAIToolCallDelta, position: number): ResolvedToolCall | undefined;
  /** At the end of the output: the calls still unfinished, each resolved as the caller reaches it. */
  unfinished(): Generator<ResolvedToolCall>;
  /** Whether any native call has begun. */
  readonly started: boolean;
}

/** `resolve` checks a whole call, its name and its arguments' text, against the request's tools. */
export function createNativeCallJoiner(resolve: (name: string | undefined, argumentsText: string) => ResolvedToolCall): NativeCallJoiner {
  const pendingCalls: PendingCall[] = [];
  const callsByIndex = new Map<number, PendingCall>();

  function finishCall(call: PendingCall): ResolvedToolCall {
    call.done = true;
    return resolve(call.name, call.parts.join(""));
  }

  function feed(delta: OpenAIToolCallDelta, position: number): ResolvedToolCall | undefined {
    // mlx and vLLM send `index`; a server that sends whole calls without it is keyed by position.
    const key = delta.index ?? position;
    const name = delta.function?.name ?? undefined;
    let call = callsByIndex.get(key);
    if (call === undefined || (call.done && (Boolean(name) || Boolean(delta.id)))) {
      call = { name: undefined, parts: [], json: createJsonObjectTracker(), done: false };
      callsByIndex.set(key, call);
      pendingCalls.push(call);
    }
    if (call.done) return undefined; // after complete JSON only whitespace can follow
    // The name comes once, on the first fragment; a server repeating it must not double it.
    if (call.name === undefined && name) call.name = name;
    const fragment = delta.function?.arguments ?? "";
    if (fragment !== "") call.parts.push(fragment);
    const state = call.json.feed(fragment);
    if (state === "too-deep") {
      call.done = true;
      return {
        type: "invalid",
        note: formatInvalidCallNote(
          `its arguments nest deeper than ${MAX_ARGUMENT_DEPTH} levels`,
          `${call.name ?? "(no name)"} ${call.parts.join("").slice(0, 200)}…`,
        ),
      };
    }
    if (state === "closed" && call.name !== undefined) return finishCall(call);
    return undefined;
  }

  return {
    feed,
    *unfinished() {
      // Unfinished calls are shown, not dropped: cut by max_tokens, their JSON is incomplete.
      for (const call of pendingCalls) if (!call.done) yield finishCall(call);
    },
    get started() {
      return pendingCalls.length > 0;
    },
  };
}
