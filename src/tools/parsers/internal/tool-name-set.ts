/**
 * The request's tool names as calls without markers are checked against them: case aside, and with
 * the `functions.` prefix some fine-tunes copy from OpenAI's message shape.
 */
export const normalizeToolName = (name: string): string => name.toLowerCase().replace(/^functions\./, "");

export const toolNameSet = (names: readonly string[] = []): ReadonlySet<string> => new Set(names.map(normalizeToolName));
