import type { ChatHistoryItem, ChatWrapper } from "node-llama-cpp";

/**
 * The chat wrapper with the tools' text placed right after the first system message instead of
 * after every leading one. node-llama-cpp's base placement puts it after all of them, and joins
 * them into one system turn: mallex's second system message (a session's directory, date, git status
 * and CLAUDE.md: see convertSystem) would then come before the tools, and no new session could reuse
 * the prefill of the system prompt and tools, which are the same for all. A wrapper that places
 * the tools its own way (Llama 3.1's, Mistral's, a Jinja template's own tool syntax) is left alone.
 */
export function functionsAfterFirstSystem(wrapper: ChatWrapper, base: typeof ChatWrapper): ChatWrapper {
  const place = wrapper.addAvailableFunctionsSystemMessageToHistory;
  if (place !== base.prototype.addAvailableFunctionsSystemMessageToHistory) return wrapper;
  wrapper.addAvailableFunctionsSystemMessageToHistory = function (history: readonly ChatHistoryItem[], ...rest) {
    const [first, second] = history;
    if (first?.type !== "system" || second?.type !== "system") return place.call(this, history, ...rest);
    // Asked of an empty history, the base placement is the tools' system message alone.
    return [first, ...place.call(this, [], ...rest), ...history.slice(1)];
  };
  return wrapper;
}
