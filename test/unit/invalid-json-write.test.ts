import { describe, expect, it } from "vitest";
import { invalidJsonCorrection, invalidJsonWrite } from "../../src/translate/tool-calls/invalid-json-write.js";
import type { AnthropicMessageParam, AnthropicOutputBlock } from "../../src/translate/anthropic-types.js";
import { numberedLines } from "../helpers/read-result.js";

const CONFIG = "/repo/config.json";
const read = (path: string, text: string, id = "r"): AnthropicMessageParam[] => [
  { role: "assistant", content: [{ type: "tool_use", id, name: "Read", input: { file_path: path } }] },
  { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: numberedLines(text) }] },
];
// fix-crash-config's file: the trailing comma node cannot parse.
const conversation: AnthropicMessageParam[] = [
  { role: "user", content: "`node app.js` crashes on start. Find out why and fix it." },
  ...read(CONFIG, '{\n  "name": "inventory",\n  "port": 8080,\n}\n'),
];
const use = (name: string, input: Record<string, unknown>): AnthropicOutputBlock => ({ type: "tool_use", id: "n", name, input });

describe("invalidJsonWrite: a call that would leave a JSON file unparsable", () => {
  it("finds a Write whose content does not parse, saying the parser's words and the line and column", () => {
    const found = invalidJsonWrite({ content: [use("Write", { file_path: CONFIG, content: '{\n  "name": "inventory"\n  "port": 8080\n}\n' })] }, conversation);
    expect(found).toMatchObject({ path: CONFIG, error: "line 3, column 3: expected ',' or '}' after property value" });
    expect(invalidJsonWrite({ content: [use("Write", { file_path: CONFIG, content: "" })] }, conversation)?.error).toBe("unexpected end of JSON input");
    // The 1.5B's settings.json with its quotes escaped: Node's parser names the token and the text, not a position.
    const escaped = invalidJsonWrite({ content: [use("Write", { file_path: CONFIG, content: '{"users": [\\"ana\\"]}' })] }, conversation);
    expect(escaped?.error).toMatch(/^unexpected token '\\'/);
  });

  it("reads an Edit's and a MultiEdit's file as the conversation showed it with the replacements made", () => {
    // Left as it was read: the trailing comma is still there.
    const kept = use("Edit", { file_path: CONFIG, old_string: '"port": 8080', new_string: '"port": 8081' });
    expect(invalidJsonWrite({ content: [kept] }, conversation)).toMatchObject({
      call: { name: "Edit" },
      error: "line 4, column 1: expected double-quoted property name",
    });
    const fixed = use("Edit", { file_path: CONFIG, old_string: '"port": 8080,', new_string: '"port": 8080' });
    expect(invalidJsonWrite({ content: [fixed] }, conversation)).toBeUndefined();
    const multi = use("MultiEdit", {
      file_path: CONFIG,
      edits: [
        { old_string: "8080,", new_string: "8080" },
        { old_string: '"inventory"', new_string: '"inventory",,' },
      ],
    });
    expect(invalidJsonWrite({ content: [multi] }, conversation)).toMatchObject({ call: { name: "MultiEdit" } });
  });

  it("leaves alone what it cannot see or what is not JSON: an Edit of a file not shown or of text not in it, other files and tools, JSONC", () => {
    const none: AnthropicOutputBlock[] = [
      use("Write", { file_path: CONFIG, content: '{ "name": "inventory", "port": 8080 }\n' }),
      use("Edit", { file_path: "/repo/other.json", old_string: "a", new_string: "{" }),
      use("Edit", { file_path: CONFIG, old_string: "not in the file", new_string: "{" }),
      use("Write", { file_path: "/repo/app.js", content: "const config = {,}" }),
      use("Write", { file_path: "/repo/notes.jsonl", content: "{\n" }),
      use("Bash", { command: "echo '{' > config.json" }),
      // TypeScript's, JavaScript's and VS Code's own files take comments and trailing commas.
      use("Write", { file_path: "/repo/tsconfig.json", content: '{ // strict\n  "compilerOptions": { "strict": true, },\n}\n' }),
      use("Write", { file_path: "/repo/tsconfig.build.json", content: "{ /* x */ }" }),
      use("Write", { file_path: "/repo/.vscode/settings.json", content: '{ "a": 1, }' }),
      use("Write", { file_path: "/repo/.devcontainer/devcontainer.json", content: '{ "a": 1, }' }),
    ];
    for (const call of none) expect(invalidJsonWrite({ content: [call] }, conversation), JSON.stringify(call)).toBeUndefined();
    // A file the conversation showed with a comment is JSONC as its project keeps it.
    const jsonc = [...conversation, ...read("/repo/settings.json", '{\n  // the port\n  "port": 1,\n}\n', "r2")];
    expect(invalidJsonWrite({ content: [use("Edit", { file_path: "/repo/settings.json", old_string: "1", new_string: "2" })] }, jsonc)).toBeUndefined();
    // A URL in a string is no comment: that file is held to JSON.
    const url = [...conversation, ...read("/repo/links.json", '{ "home": "https://example.com" }\n', "r3")];
    expect(invalidJsonWrite({ content: [use("Edit", { file_path: "/repo/links.json", old_string: " }", new_string: ", }" })] }, url)).toBeDefined();
  });

  it("tells the model what is wrong and what to answer: for its call, or for the code block mallex made a Write of", () => {
    const found = invalidJsonWrite({ content: [use("Edit", { file_path: CONFIG, old_string: '"port": 8080', new_string: '"port": 8081' })] }, conversation)!;
    expect(invalidJsonCorrection(found, false)).toBe(
      "That Edit would leave config.json not valid JSON (line 4, column 1: expected double-quoted property name): it was not run. Make the change again so that config.json stays valid JSON.",
    );
    expect(invalidJsonCorrection({ ...found, call: { ...found.call, name: "Write" } }, false)).toContain("Write config.json again, whole, as valid JSON.");
    expect(invalidJsonCorrection(found, true)).toBe(
      "config.json as you wrote it is not valid JSON (line 4, column 1: expected double-quoted property name). Answer with the whole of config.json again, as valid JSON, in one code block.",
    );
  });
});
