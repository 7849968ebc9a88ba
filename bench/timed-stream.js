// One streamed generation request, timed token by token, for the speed benchmarks: when the first
// and the last token arrived and the usage the server reported, on either protocol (OpenAI Chat
// Completions direct to a model server, Anthropic Messages through mallex).
import { request as httpRequest } from "node:http";
import { StringDecoder } from "node:string_decoder";

/**
 * POSTs `body` (an object; streamed) and resolves with `{ ttft, lastToken, total }` (ms from just
 * before the request is written), `firstPieces` (the text pieces that arrived with the first) and
 * `usage: { prompt, cached, completion }`, read from the OpenAI usage chunk or the Anthropic
 * message_start / message_delta events.
 */
export function timedStream(url, body, { protocol, headers = {}, timeoutMs = 300_000 }) {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest(
      url,
      { method: "POST", agent: false, headers: { "content-type": "application/json", ...headers, "content-length": payload.length } },
      (res) => {
        const decoder = new StringDecoder("utf8");
        let pending = "";
        let raw = "";
        let firstToken;
        let lastToken;
        // Text pieces that came in the same read as the first: a server that writes several tokens at
        // once must not look faster for it (decode is timed from the first read, so those are not counted).
        let firstPieces = 0;
        const usage = { prompt: undefined, cached: 0, completion: undefined };
        res.on("data", (chunk) => {
          const now = performance.now();
          const text = decoder.write(chunk);
          if (res.statusCode !== 200) return void (raw += text);
          pending += text;
          const events = pending.split("\n\n");
          pending = events.pop() ?? "";
          for (const event of events) {
            const data = event
              .split("\n")
              .find((line) => line.startsWith("data: "))
              ?.slice(6);
            if (!data?.startsWith("{")) continue;
            const parsed = JSON.parse(data);
            if (protocol === "openai" ? readOpenAI(parsed, usage) : readAnthropic(parsed, usage)) {
              firstToken ??= now;
              if (now === firstToken) firstPieces++;
              lastToken = now;
            }
          }
        });
        res.on("end", () => {
          const total = performance.now() - started;
          if (res.statusCode !== 200) return reject(new Error(`${url} answered HTTP ${res.statusCode}: ${raw.slice(0, 500)}`));
          if (firstToken === undefined) return reject(new Error(`${url} streamed no token`));
          if (usage.prompt === undefined || usage.completion === undefined) return reject(new Error(`${url} reported no usage`));
          resolve({ ttft: firstToken - started, lastToken: lastToken - started, firstPieces, total, usage });
        });
        res.on("error", reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${url} did not finish within ${timeoutMs / 1000} s`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/** Reads one OpenAI chunk into `usage`; true when it carries generated text. */
function readOpenAI(chunk, usage) {
  if (chunk.usage) {
    usage.prompt = chunk.usage.prompt_tokens;
    usage.completion = chunk.usage.completion_tokens;
    // llama-server reports the reused prefix in `timings.cache_n`, the engine in prompt_tokens_details.
    usage.cached = chunk.usage.prompt_tokens_details?.cached_tokens ?? chunk.timings?.cache_n ?? 0;
  }
  return Boolean(chunk.choices?.[0]?.delta?.content);
}

/** Reads one Anthropic event into `usage`; true when it carries generated text. */
function readAnthropic(event, usage) {
  const reported = event.type === "message_start" ? event.message.usage : event.type === "message_delta" ? event.usage : undefined;
  if (reported) {
    // mallex counts the prefix the server reused apart from the input, as the Messages API does.
    if (reported.input_tokens !== undefined) {
      usage.cached = reported.cache_read_input_tokens ?? 0;
      usage.prompt = reported.input_tokens + usage.cached;
    }
    if (event.type === "message_delta") usage.completion = reported.output_tokens;
  }
  return event.type === "content_block_delta" && Boolean(event.delta?.text);
}
