/**
 * What one line of the model server's output says, for the user: download progress (tqdm bars from
 * huggingface_hub), the HTTP server listening, the model loading, Metal/CUDA out-of-memory, a GPU
 * backend that cannot run. Pure: a line in, a classification out.
 */
import { readEngineBackend, type EngineBackend } from "../shared/gpu-steps.js";
import { readGpuFailure, type GpuFailure } from "./gpu-fallback.js";

export type ServerLine =
  | { kind: "download"; label: string; percent: number; detail: string }
  | { kind: "listening"; port: number }
  | { kind: "loading"; message: string }
  | { kind: "out-of-memory"; text: string }
  | { kind: "gpu-failure"; failure: GpuFailure }
  /** mallex's engine says which llama.cpp binary it loaded (gpu-steps.ts engineBackendLine). */
  | { kind: "engine-backend"; backend: EngineBackend };

/** `label:  42%|████      | 2.23G/5.30G [00:02<00:03, 1.06GB/s]` (tqdm; the bar may be empty). */
const TQDM = /^\s*(.*?):\s*(\d{1,3})%\|[^|]*\|\s*(\S+)/;
/**
 * mlx_lm.server: `… - INFO - Starting httpd at 127.0.0.1 on port 8080...`; llama-server:
 * `main: server is listening on http://127.0.0.1:8080 - starting the main loop` (older: `HTTP server listening, …, port: 8080`).
 */
const LISTENING = [/Starting httpd at \S+ on port (\d+)/, /server is listening on https?:\/\/[^\s]*:(\d+)/i, /server listening.*\bport[:=]?\s*(\d+)/i];
const LOADING = /\bloading model\b|\bload_model\b|\bloading weights\b/i;
const OUT_OF_MEMORY = [
  /kIOGPUCommandBufferCallbackErrorOutOfMemory/,
  /\[METAL\].*Insufficient Memory/i,
  /\[metal::malloc\].*(?:buffer|memory)/i,
  /CUDA error: out of memory/i,
  /cudaMalloc failed: out of memory/i,
  /failed to allocate .*buffer/i,
  /\bOutOfMemoryError\b/,
];

export function classifyServerLine(line: string): ServerLine | undefined {
  if (OUT_OF_MEMORY.some((pattern) => pattern.test(line))) return { kind: "out-of-memory", text: line.trim() };
  const gpu = readGpuFailure(line);
  if (gpu) return { kind: "gpu-failure", failure: gpu };
  const backend = readEngineBackend(line);
  if (backend) return { kind: "engine-backend", backend };
  const bar = TQDM.exec(line);
  if (bar) return { kind: "download", label: bar[1]!.trim(), percent: Math.min(100, Number(bar[2])), detail: bar[3]! };
  for (const pattern of LISTENING) {
    const match = pattern.exec(line);
    if (match) return { kind: "listening", port: Number(match[1]) };
  }
  if (LOADING.test(line)) return { kind: "loading", message: line.trim() };
  return undefined;
}

export interface ProgressMessage {
  message: string;
  percent?: number;
}

/**
 * Turns classified lines into progress messages without flooding the terminal: a download bar is
 * reported when its file changes, every 5 points, and at 100%.
 */
export function createProgressFilter(model: string): (line: ServerLine) => ProgressMessage | undefined {
  let lastLabel: string | undefined;
  let lastPercent = -1;
  let loadingSaid = false;
  return (line) => {
    switch (line.kind) {
      case "download": {
        if (line.label === lastLabel && line.percent < 100 && line.percent - lastPercent < 5) return undefined;
        if (line.label === lastLabel && line.percent === lastPercent) return undefined;
        lastLabel = line.label;
        lastPercent = line.percent;
        const files = /^Fetching (\d+) files$/.exec(line.label);
        const message = files ? `fetching ${model}: ${line.detail} files` : `downloading ${line.label}: ${line.detail}`;
        return { message, percent: line.percent };
      }
      case "listening":
        return { message: `listening on port ${line.port}; loading ${model} (the first request waits for it)` };
      case "loading":
        if (loadingSaid) return undefined;
        loadingSaid = true;
        return { message: `loading ${model}` };
      case "out-of-memory":
      case "gpu-failure":
        return undefined;
    }
  };
}
