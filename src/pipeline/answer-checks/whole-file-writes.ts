import type { CompiledProfile } from "../../compile/routing-table.js";
import type { CallRecord } from "../../observe/request-record.js";
import type { AnthropicCustomTool, AnthropicMessage, MessagesRequest } from "../../translate/anthropic-types.js";
import {
  readFiles,
  shellCommandFor,
  unchangedRewrite,
  wholeFileWrite,
  WRITE_TOOL,
  type ReadFile,
  type Renamed,
} from "../../translate/tool-calls/whole-file-write.js";
import type { OpenAIChatRequest } from "../../translate/openai-types.js";
import { modelChoosesCalls } from "./model-chooses-calls.js";
import { askAgain } from "./ask-again.js";
import { fileToCreate, type AskedFile } from "./ask-whole-file.js";

/** How the repair is named in the log line and the eval's counts. */
export const WHOLE_FILE_REPAIR = "a whole file in a code block → Write";
/** The same, where the block was a shell command writing the file: what it writes is the Write's content. */
export const SHELL_WRITE_REPAIR = "a shell command writing a file → Write of what it writes";

/**
 * A profile's `tools.whole_file_writes` on one request: where the client offers Write, leaves the
 * choice to the model (no tool_choice, or auto), wants no JSON answer, and the conversation has read
 * files the model may write again, or the task asks for a file to be created (fileToCreate): those
 * files, or undefined where it does not apply. The answer is
 * then read whole and, where it is one of them rewritten in a code block, made its Write
 * (whole-file-write.ts).
 */
export function planWholeFileWrite(
  profile: Pick<CompiledProfile, "wholeFileWrites">,
  asked: MessagesRequest,
  offeredTools: readonly AnthropicCustomTool[],
): readonly ReadFile[] | undefined {
  if (profile.wholeFileWrites !== true || !modelChoosesCalls(asked)) return undefined;
  if (!offeredTools.some((tool) => tool.name === WRITE_TOOL)) return undefined;
  const created = fileToCreate(asked);
  const files = [...readFiles(asked.messages), ...(created === undefined ? [] : [created])];
  return files.length === 0 ? undefined : files;
}

/** The answer as the Write it stands for (`renamed`: the rename it was asked for), counted as a repaired call; else the answer as it came. */
export function writeWholeFile(
  answer: AnthropicMessage,
  files: readonly ReadFile[],
  { id, record, renamed }: { id: () => string; record: CallRecord; renamed?: Renamed | undefined },
): AnthropicMessage {
  const written = wholeFileWrite(answer, files, id(), renamed);
  if (written === undefined) return answer;
  const write = written.content.at(-1);
  const path = write?.type === "tool_use" ? (write.input as { file_path: string }).file_path : "";
  const command = shellCommandFor(answer, path);
  const repair = command !== undefined && "content" in command ? SHELL_WRITE_REPAIR : WHOLE_FILE_REPAIR;
  record.happened({ type: "tool-call", call: { rejected: false, repairs: [repair] } });
  return written;
}

/** The file the model was asked for (ask-whole-file.ts), the files the conversation read, and the request that asked, for a retry. */
export interface WholeFileAskRetry {
  asked: AskedFile;
  read: readonly ReadFile[];
  upstreamRequest: OpenAIChatRequest;
}

/**
 * The answer to a whole-file ask; where it is the file as it was, or another file read as it was, the
 * same request sampled again, at RESAMPLE_TEMPERATURE, up to twice. The real Qwen2.5-Coder-1.5B, asked for
 * config.json after its JSON failed to parse, wrote it back unchanged, and the task ended there. Told
 * so after its answer ("That is the file as it was…"), it copied that answer again 6 times of 6
 * (llama-server); the same request without it, at 0.8, changed the file 4 times of 6, rightly once; in
 * the eval, config.json then came back fixed in both runs. The 0.5B on mlx_lm.server, asked for
 * limits.js after the Reads of the three files that use MAX_RETRIES, wrote retry.js back as it was,
 * and the task ended there. A file that came back as a shell command writing it with what only
 * running it would tell (shell-file-write.ts) is asked for again the same way.
 */
export async function retryWholeFileAsk(
  first: AnthropicMessage,
  retry: WholeFileAskRetry,
  ask: (request: OpenAIChatRequest) => Promise<AnthropicMessage>,
  log: (line: string) => void,
): Promise<AnthropicMessage> {
  const { file } = retry.asked;
  const { upstreamRequest: request } = retry;
  const others = retry.read.filter((read) => read.path !== file.path);
  const check = {
    asked: "whole file",
    retries: 2,
    problem: (answer: AnthropicMessage) => {
      if (unchangedRewrite(answer, file)) return `${file.path} came back unchanged`;
      const command = shellCommandFor(answer, file.path);
      if (command !== undefined && "unreadable" in command) return `${file.path} came back as no content: ${command.unreadable}`;
      const other = others.find((read) => unchangedRewrite(answer, read));
      return other === undefined ? undefined : `${other.path} came back as it was read, not ${file.path} changed`;
    },
    retry: () => ({ ...request, temperature: Math.max(request.temperature ?? 0, RESAMPLE_TEMPERATURE) }),
  };
  return (await askAgain(first, check, ask, log)).answer;
}

/** The temperature a whole file that came back unchanged is asked for again at: varied enough to differ, still the model's likely tokens. */
export const RESAMPLE_TEMPERATURE = 0.8;
