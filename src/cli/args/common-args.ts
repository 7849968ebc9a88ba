import type { ArgsDef } from "citty";

export const configArgs = {
  config: {
    type: "string",
    alias: "c",
    description:
      "Config file, used alone (default: this machine's settings, $MALLEX_HOME/mallex.yaml (~/.mallex) else mallex's default, with ./mallex.yaml's rules on top)",
    valueHint: "file",
  },
} as const satisfies ArgsDef;

export const proxyArgs = {
  ...configArgs,
  port: { type: "string", alias: "p", description: "Port to serve on (default: server.port from the config)", valueHint: "n" },
  "backend-url": {
    type: "string",
    description:
      "Send every local profile to this already-running OpenAI-compatible server (base URL ending in /v1); nothing is supervised. Given more than once: a pool of equivalent servers, each session kept on one",
    valueHint: "url",
  },
  "anthropic-url": {
    type: "string",
    description:
      "Send every anthropic-kind backend (the Claude tier) to this base URL instead of the config's (default https://api.anthropic.com); the key is still api_key / ANTHROPIC_API_KEY",
    valueHint: "url",
  },
  "server-command": {
    type: "string",
    description: "Supervise this command as the local model server; {port} and {model} are replaced",
    valueHint: "cmd",
  },
  embedded: {
    type: "string",
    description: "Serve every local profile from this GGUF (a path or hf:user/repo:quant) with mallex's embedded llama.cpp engine; no model server needed",
    valueHint: "gguf",
  },
  threads: {
    type: "string",
    description: "With --embedded: CPU threads (default: every physical core; one for a model under 150 MB)",
    valueHint: "n",
  },
  "ctx-size": {
    type: "string",
    description: "With --embedded: context tokens per request; prompt budgets shrink to fit (default: what fits in memory, up to the model's trained context)",
    valueHint: "n",
  },
  "gpu-layers": {
    type: "string",
    description: "With --embedded: layers on the GPU: a number, auto (what fits) or max; 0 runs on the CPU only",
    valueHint: "n|auto|max",
  },
} as const satisfies ArgsDef;
