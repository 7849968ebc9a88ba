import Anthropic from "@anthropic-ai/sdk";
import type { TestProxy } from "./test-proxy.js";

/** The official Anthropic SDK talking to an in-process test proxy (no port): what real clients see. */
export function sdkClient(proxy: TestProxy): Anthropic {
  return new Anthropic({
    apiKey: "test-key",
    baseURL: "http://mallex.test",
    maxRetries: 0,
    fetch: (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      return proxy.fetch(`${url.pathname}${url.search}`, init);
    },
  });
}
