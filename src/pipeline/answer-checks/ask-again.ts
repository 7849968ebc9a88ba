import type { AnthropicMessage } from "../../translate/anthropic-types.js";
import type { OpenAIChatRequest } from "../../translate/openai-types.js";

/** A check of a whole answer before the client sees it, and how the model is asked again when the answer fails it. */
export interface AnswerCheck {
  /** What was asked again, as the log says it: `${asked} asked again (2 of 3): ${problem}`. */
  asked: string;
  /** The profile's `forced_call_retries`. */
  retries: number;
  /** What is wrong with an answer, or undefined when it may go to the client. */
  problem(answer: AnthropicMessage): string | undefined;
  /** The request that asks again, stating the problem. */
  retry(answer: AnthropicMessage, problem: string): OpenAIChatRequest;
}

/** The last answer asked for, what is still wrong with it (undefined: nothing), and how many answers were asked for. */
export interface CheckedAnswer {
  answer: AnthropicMessage;
  problem: string | undefined;
  attempts: number;
}

/**
 * `first` when it passes the check, else the model asked again (`ask`: one generation of the request,
 * read whole) until an answer passes or the retries are spent; each retry logged.
 */
export async function askAgain(
  first: AnthropicMessage,
  check: AnswerCheck,
  ask: (request: OpenAIChatRequest) => Promise<AnthropicMessage>,
  log: (line: string) => void,
): Promise<CheckedAnswer> {
  let answer = first;
  let problem = check.problem(answer);
  let attempts = 1;
  while (problem !== undefined && attempts <= check.retries) {
    log(`${check.asked} asked again (${attempts + 1} of ${check.retries + 1}): ${problem}`);
    answer = await ask(check.retry(answer, problem));
    problem = check.problem(answer);
    attempts++;
  }
  return { answer, problem, attempts };
}
