import { describe, expect, it } from "vitest";
import type { FactsTarget, ServerFacts } from "../../src/backends/server-facts.js";
import type { CompiledProfile, RoutingTable } from "../../src/compile/routing-table.js";
import { learnServerFacts } from "../../src/server/learn-server-facts.js";
import type { ServerContext } from "../../src/pipeline/server-context.js";

const profile = (name: string, backend: string, extra: Partial<CompiledProfile> = {}) =>
  ({ name, backend, model: `org/${name}`, maxOutputTokens: 1024, contextWindow: 32768, inputBudget: 20000, ...extra }) as CompiledProfile;

function context(backends: Record<string, { baseUrl?: string; urls?: string[]; supervised?: boolean }>, profiles: CompiledProfile[]) {
  const table = {
    profiles: Object.fromEntries(profiles.map((p) => [p.name, p])),
    backends: Object.fromEntries(Object.keys(backends).map((name) => [name, { kind: "openai", flavor: "llama-server" }])),
  } as unknown as RoutingTable;
  const lines: string[] = [];
  const ctx = {
    table,
    backends: Object.fromEntries(Object.entries(backends).map(([name, b]) => [name, { name, kind: "openai", flavor: "llama-server", headers: {}, ...b }])),
    log: (line: string) => lines.push(line),
  } as unknown as ServerContext;
  return { ctx, lines };
}

describe("learnServerFacts", () => {
  it("reads each server mallex does not start and fits the profiles on it; a supervised one waits until it is ready; a restart is read again", async () => {
    const asked: FactsTarget[] = [];
    let held = 4096;
    const discover = async (target: FactsTarget): Promise<ServerFacts> => (
      asked.push(target),
      { contextWindow: held, parallel: 2, source: `llama-server GET /props at ${target.baseUrl}` }
    );
    const { ctx, lines } = context({ ext: { baseUrl: "http://a:1/v1" }, own: { supervised: true } }, [profile("p", "ext"), profile("q", "own")]);
    const learning = learnServerFacts(ctx, discover);
    await learning.learnExternal();
    expect(asked.map((t) => t.baseUrl)).toEqual(["http://a:1/v1"]);
    expect(ctx.table.profiles.p).toMatchObject({ contextWindow: 4096, inputBudget: 3072 });
    expect(ctx.table.profiles.q).toMatchObject({ contextWindow: 32768, inputBudget: 20000 });
    expect(lines).toEqual([
      "profile p: context_window 32768 lowered to 4096 tokens, what its server holds (llama-server GET /props at http://a:1/v1); prompt budget 3072",
    ]);

    await learning.learnServed(ctx.table.profiles.q!, "http://127.0.0.1:5000/v1");
    await learning.learnServed(ctx.table.profiles.q!, "http://127.0.0.1:5000/v1");
    expect(asked).toHaveLength(2);
    expect(ctx.table.profiles.q).toMatchObject({ contextWindow: 4096 });
    // Restarted with a larger context on a new port: the declared window comes back.
    held = 65536;
    await learning.learnServed(ctx.table.profiles.q!, "http://127.0.0.1:5001/v1");
    expect(ctx.table.profiles.q).toMatchObject({ contextWindow: 32768, inputBudget: 20000 });
    expect(ctx.serverFacts?.get("own")).toMatchObject({ contextWindow: 65536, parallel: 2 });
  });

  it("Ollama before it loads the model: the trained context lowers a larger declared window but sets none, and is read again until the loaded context is known", async () => {
    const answers: ServerFacts[] = [
      { contextWindow: 131072, model: "org/big", source: "ollama POST /api/show model_info llama.context_length (not loaded)", provisional: true },
      { contextWindow: 131072, model: "org/big", source: "ollama POST /api/show model_info llama.context_length (not loaded)", provisional: true },
      { contextWindow: 8192, model: "org/big", source: "ollama GET /api/ps context_length" },
    ];
    let reads = 0;
    const { ctx, lines } = context({ ollama: { baseUrl: "http://127.0.0.1:11434/v1" } }, [
      profile("big", "ollama", { contextWindow: 262144, inputBudget: 32000 }),
      profile("open", "ollama", { contextWindow: undefined, inputBudget: undefined }),
    ]);
    ctx.table.profiles.open = { ...ctx.table.profiles.open!, model: "org/big" };
    const learning = learnServerFacts(ctx, async () => answers[Math.min(reads++, answers.length - 1)]);
    await learning.learnExternal();
    expect(ctx.table.profiles.big).toMatchObject({ contextWindow: 131072 });
    expect(ctx.table.profiles.open?.contextWindow).toBeUndefined();
    // Each request asks again while the facts are provisional (the same base URL), once they are not, never.
    const target = { flavor: "llama-server", baseUrl: "http://127.0.0.1:11434/v1", headers: {}, model: "org/big" };
    await ctx.serverFacts!.learn("ollama", target);
    await ctx.serverFacts!.learn("ollama", target);
    expect(reads).toBe(3);
    expect(ctx.table.profiles.big).toMatchObject({ contextWindow: 8192, inputBudget: 6144 });
    expect(ctx.table.profiles.open).toMatchObject({ contextWindow: 8192 });
    await ctx.serverFacts!.learn("ollama", target);
    expect(reads).toBe(3);
    expect(lines.at(-1)).toMatch(/^profile open: no context_window declared to 8192 tokens/);
  });

  it("a model's facts fit only that model's profiles: another model on the same backend keeps its own until its server is read", async () => {
    const contexts: Record<string, number> = { "org/small": 32768, "org/big": 262144 };
    const { ctx } = context({ mlx: { supervised: true } }, [
      profile("small", "mlx", { contextWindow: 65536 }),
      profile("big", "mlx", { contextWindow: 262144, inputBudget: 32000 }),
    ]);
    const learning = learnServerFacts(ctx, async (target) => ({ contextWindow: contexts[target.model!]!, parallel: 32, source: "mlx-lm config.json" }));
    await learning.learnServed(ctx.table.profiles.small!, "http://127.0.0.1:5000/v1");
    expect(ctx.table.profiles.small).toMatchObject({ contextWindow: 32768 });
    expect(ctx.table.profiles.big).toMatchObject({ contextWindow: 262144, inputBudget: 32000 });
    // The backend's queue still reads what its server said last.
    expect(ctx.serverFacts?.get("mlx")).toMatchObject({ parallel: 32 });
  });

  it("reads every server of a pool under its queue's name; the backend holds what all of them can", async () => {
    const sizes: Record<string, ServerFacts | undefined> = {
      "http://a:1/v1": { contextWindow: 8192, parallel: 4, source: "llama-server GET /props" },
      "http://b:1/v1": { contextWindow: 4096, parallel: 2, source: "llama-server GET /props" },
      "http://c:1/v1": undefined,
    };
    const { ctx } = context({ pool: { baseUrl: "http://a:1/v1", urls: Object.keys(sizes) } }, [profile("p", "pool")]);
    await learnServerFacts(ctx, async (target) => sizes[target.baseUrl]).learnExternal();
    expect(ctx.serverFacts?.get("pool on http://a:1/v1")).toMatchObject({ contextWindow: 8192, parallel: 4 });
    expect(ctx.serverFacts?.get("pool on http://b:1/v1")).toMatchObject({ contextWindow: 4096, parallel: 2 });
    expect(ctx.serverFacts?.get("pool")).toEqual({ contextWindow: 4096, parallel: 2, source: "2 of 3 pool servers: llama-server GET /props" });
    expect(ctx.table.profiles.p).toMatchObject({ contextWindow: 4096, inputBudget: 3072 });
  });
});
