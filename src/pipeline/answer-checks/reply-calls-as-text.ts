import { createReplyCallTranslator } from "../../translate/tool-calls/reply-tool.js";
import type { AnswerSink } from "../pump-answer.js";

/** A sink whose Reply tool calls arrive as text blocks (createReplyCallTranslator). */
export function replyCallsAsTextSink(sink: AnswerSink): AnswerSink {
  const translate = createReplyCallTranslator();
  return {
    event(event) {
      for (const out of translate(event)) sink.event(out);
    },
    flush: () => sink.flush(),
    end: () => sink.end(),
    error: (reason) => sink.error(reason),
  };
}
