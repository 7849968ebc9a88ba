import type { AnthropicStreamEvent } from "../../translate/anthropic-types.js";
import { createJsonTextExtractor } from "../../translate/extract-json-text.js";
import type { AnswerSink } from "../pump-answer.js";

/** A sink whose text blocks arrive as their JSON object (createJsonTextExtractor). */
export function holdJsonText(sink: AnswerSink): AnswerSink {
  const extractor = createJsonTextExtractor();
  const send = (events: AnthropicStreamEvent[]) => {
    for (const event of events) sink.event(event);
  };
  return {
    event: (event) => send(extractor.push(event)),
    flush: () => sink.flush(),
    end() {
      send(extractor.flush());
      sink.end();
    },
    error: (reason) => sink.error(reason),
  };
}
