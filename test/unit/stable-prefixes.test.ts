import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createStablePrefixes, stablePrefixesPath, stablePrefixOf } from "../../src/observe/stable-prefixes.js";
import type { OpenAIChatRequest } from "../../src/translate/openai-types.js";

const profile = { name: "gguf-qwen2.5-coder-1.5b", model: "coder.gguf" };
const tools: OpenAIChatRequest["tools"] = [{ type: "function", function: { name: "Read", parameters: { type: "object" } } }];
const request = (session: string, question = "fix the test"): OpenAIChatRequest => ({
  messages: [
    { role: "system", content: "You are a coding assistant." },
    { role: "system", content: session },
    { role: "user", content: question },
  ],
  tools,
  max_tokens: 4096,
  stream: true,
});

describe("stablePrefixOf", () => {
  it("is the system prompt and the tools of a request whose session's context follows them", () => {
    expect(stablePrefixOf(request("# Environment\n - Primary working directory: /a"))).toEqual({ system: "You are a coding assistant.", tools });
  });

  it("is nothing for a request with one system message: its tools follow what may change", () => {
    expect(
      stablePrefixOf({
        messages: [
          { role: "system", content: "x" },
          { role: "user", content: "q" },
        ],
        max_tokens: 1,
        stream: false,
      }),
    ).toBeUndefined();
  });
});

describe("createStablePrefixes", () => {
  it("keeps the last prefix per profile and model in MALLEX_HOME, and asks for it in a one-token request", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-prefixes-"));
    const errors: string[] = [];
    const prefixes = createStablePrefixes({ file: stablePrefixesPath(home), onError: (m) => errors.push(m) });
    expect(prefixes.warmRequest(profile)).toBeUndefined();
    prefixes.remember(profile, request("/a"));
    await prefixes.flush();
    const again = createStablePrefixes({ file: stablePrefixesPath(home), onError: (m) => errors.push(m) });
    expect(again.warmRequest(profile)).toEqual({
      tools,
      messages: [
        { role: "system", content: "You are a coding assistant." },
        { role: "user", content: "Hi" },
      ],
      max_tokens: 1,
      temperature: 0,
      stream: false,
    });
    // Another model behind the same profile name starts with nothing.
    expect(again.warmRequest({ ...profile, model: "other.gguf" })).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it("writes only when the prefix changed: another session's request leaves the file as it was", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-prefixes-"));
    const file = stablePrefixesPath(home);
    const prefixes = createStablePrefixes({ file, onError: () => undefined });
    prefixes.remember(profile, request("/a"));
    await prefixes.flush();
    writeFileSync(file, readFileSync(file, "utf8").replace("You are", "You were"));
    prefixes.remember(profile, request("/b", "another question"));
    await prefixes.flush();
    expect(readFileSync(file, "utf8")).toContain("You were");
  });

  it("reports a file that is not its own and starts with nothing, never a failed start", () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-prefixes-"));
    writeFileSync(stablePrefixesPath(home), '{"format":1,"profiles":{"p":{"m":{"system":3}}}}');
    const errors: string[] = [];
    const prefixes = createStablePrefixes({ file: stablePrefixesPath(home), onError: (m) => errors.push(m) });
    expect(prefixes.warmRequest({ name: "p", model: "m" })).toBeUndefined();
    expect(errors).toEqual([expect.stringMatching(/stable prompt prefixes in .* ignored, none warmed until a request brings one: p \(m\) is not a prefix/)]);
  });
});
