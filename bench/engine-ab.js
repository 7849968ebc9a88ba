// An A/B of the embedded engine between two mallex checkouts (two commits), for a change to the
// engine's own per-token path: each checkout's `mallex engine` on the same GGUF and threads, and
// llama-server beside them if asked, requests interleaved in a rotating order so the machine's noise
// falls on both alike. Reported: each one's median decode and prefill, and the median of the per-round
// ratios B ÷ A with their quartiles (two requests a few seconds apart share the machine's state; the
// quartiles say how far one round's ratio can be trusted).
//
//   node bench/engine-ab.js --a ../mallex-base --b . [--model FILE.gguf] [--threads 1] [--rounds 30]
//       [--answer 128] [--prompt-chars 1500] [--llama-server]
//
// Each checkout needs its dist built (`npm run build` in it) and its node_modules; e.g. the commit
// before a change: `git worktree add ../mallex-base HEAD~1 && cd ../mallex-base && ln -s
// ../mallex/node_modules node_modules && npm run build`.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { findFreePort } from "#dist/supervisor/supervisor-deps.js";
import { createChildren } from "./peer-process.js";
import { timedStream } from "./timed-stream.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const LLAMA_SERVER = join(root, ".cache", "llama.cpp", "build", "bin", "llama-server");
const CONTEXT = 4096;
const WORDS =
  "Once upon a time there was a little girl named Lily who liked to play in the park with her red ball and one day she saw a big dog under a tree".split(" ");

/** A prompt of about `chars` characters whose first words are unique to run `n` (no cached prefix). */
function promptFor(n, chars) {
  let text = `Story number ${n}. `;
  for (let i = 0; text.length < chars; i++) text += `${WORDS[(i * 7 + n) % WORDS.length]} `;
  return text.trim();
}

const quantile = (values, q) => {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low] + (sorted[Math.min(low + 1, sorted.length - 1)] - sorted[low]) * (at - low);
};

export async function engineAB({ a, b, model, threads = 1, rounds = 30, answer = 128, promptChars = 1_500, llamaServer = false }) {
  const children = createChildren();
  const targets = [];
  let n = 0;
  const add = async (label, command, args, readyPath) => {
    const port = await findFreePort();
    await children.start(label, command, [...args, "--port", String(port)], { env: process.env, cwd: root, readyUrl: `http://127.0.0.1:${port}${readyPath}` });
    const url = `http://127.0.0.1:${port}/v1/chat/completions`;
    targets.push({
      label,
      send: (k, maxTokens) =>
        timedStream(
          url,
          {
            model: "bench",
            messages: [{ role: "user", content: promptFor(k, promptChars) }],
            max_tokens: maxTokens,
            temperature: 0,
            stream: true,
            stream_options: { include_usage: true },
          },
          { protocol: "openai" },
        ),
    });
  };
  try {
    for (const [label, dir] of [
      ["A", a],
      ["B", b],
    ]) {
      const bin = join(resolve(dir), "bin", "mallex.js");
      if (!existsSync(join(resolve(dir), "dist"))) throw new Error(`${dir} has no dist: run npm run build in it`);
      await add(
        `${label} (${dir})`,
        process.execPath,
        [bin, "engine", "--model", model, "--threads", String(threads), "--ctx-size", String(CONTEXT)],
        "/v1/models",
      );
    }
    if (llamaServer)
      await add(
        "llama-server",
        LLAMA_SERVER,
        ["-m", model, "-t", String(threads), "-c", String(CONTEXT), "-np", "1", "-fa", "off", "--jinja", "--host", "127.0.0.1"],
        "/health",
      );
    for (const target of targets) for (let i = 0; i < 2; i++) await target.send(n++, 8);
    const samples = targets.map(() => ({ decode: /** @type {number[]} */ ([]), prefill: /** @type {number[]} */ ([]) }));
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < targets.length; k++) {
        const i = (round + k) % targets.length;
        const { ttft, lastToken, firstPieces, usage } = await targets[i].send(n++, answer);
        samples[i].decode.push((usage.completion - firstPieces) / ((lastToken - ttft) / 1000));
        samples[i].prefill.push((usage.prompt - usage.cached) / (ttft / 1000));
      }
    }
    const lines = targets.map(
      (target, i) =>
        `${target.label}: decode ${quantile(samples[i].decode, 0.5).toFixed(1)} tok/s, prefill ${quantile(samples[i].prefill, 0.5).toFixed(1)} tok/s (medians of ${rounds})`,
    );
    for (let i = 1; i < targets.length; i++) {
      for (const key of ["decode", "prefill"]) {
        const ratios = samples[i][key].map((value, round) => value / samples[0][key][round]);
        lines.push(
          `${targets[i].label.split(" ")[0]} ÷ A, ${key}, per round: median ${quantile(ratios, 0.5).toFixed(3)}, quartiles ${quantile(ratios, 0.25).toFixed(3)}–${quantile(ratios, 0.75).toFixed(3)}`,
        );
      }
    }
    return lines.join("\n");
  } finally {
    await children.stopAll();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      a: { type: "string" },
      b: { type: "string" },
      model: { type: "string" },
      threads: { type: "string" },
      rounds: { type: "string" },
      answer: { type: "string" },
      "prompt-chars": { type: "string" },
      "llama-server": { type: "boolean" },
    },
  });
  try {
    if (!values.a || !values.b)
      throw new Error(
        "usage: node bench/engine-ab.js --a DIR --b DIR [--model FILE.gguf] [--threads N] [--rounds N] [--answer N] [--prompt-chars N] [--llama-server]",
      );
    console.log(
      await engineAB({
        a: values.a,
        b: values.b,
        model: values.model ?? fileURLToPath(new URL("../../shared/models/stories260K-chatml.gguf", import.meta.url)),
        ...(values.threads ? { threads: Number(values.threads) } : {}),
        ...(values.rounds ? { rounds: Number(values.rounds) } : {}),
        ...(values.answer ? { answer: Number(values.answer) } : {}),
        ...(values["prompt-chars"] ? { promptChars: Number(values["prompt-chars"]) } : {}),
        llamaServer: values["llama-server"] ?? false,
      }),
    );
  } catch (error) {
    console.error(`engine-ab failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
