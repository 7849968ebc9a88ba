import { describe, expect, it } from "vitest";
import { shellFileWrite } from "../../src/translate/tool-calls/shell-file-write.js";

const PATH = "/repo/hello.txt";

describe("shellFileWrite: a block that is a shell command writing the file, read for what it writes", () => {
  it("the real 1.5B's answer, and echo's other literal forms: the words as the file's line", () => {
    expect(shellFileWrite('echo "Hello from mallex" > hello.txt', PATH)).toEqual({ content: "Hello from mallex\n" });
    expect(shellFileWrite("$ echo 'Hello from mallex' > ./hello.txt", PATH)).toEqual({ content: "Hello from mallex\n" });
    expect(shellFileWrite("echo Hello   from mallex >/repo/hello.txt", PATH)).toEqual({ content: "Hello from mallex\n" });
    expect(shellFileWrite('echo -n "Hello"\' from mallex\' > "hello.txt"', PATH)).toEqual({ content: "Hello from mallex" });
    expect(shellFileWrite('echo "Hello">hello.txt', PATH)).toEqual({ content: "Hello\n" });
  });

  it("echo lines appended one after another; a `>` starts the file again", () => {
    expect(shellFileWrite('echo "one" > hello.txt\necho "two" >> hello.txt', PATH)).toEqual({ content: "one\ntwo\n" });
    expect(shellFileWrite('echo "one" >> hello.txt\necho "two" > hello.txt', PATH)).toEqual({ content: "two\n" });
  });

  it("a here-document: its lines as they stand, expanded only where nothing in it would be", () => {
    expect(shellFileWrite("cat > hello.txt <<'EOF'\nHello from $USER\n`not run`\nEOF", PATH)).toEqual({ content: "Hello from $USER\n`not run`\n" });
    expect(shellFileWrite("cat <<EOF > hello.txt\nHello from mallex\nline two\nEOF\n", PATH)).toEqual({ content: "Hello from mallex\nline two\n" });
    expect(shellFileWrite("cat > hello.txt <<-END\n\tindented\nEND", PATH)).toEqual({ content: "indented\n" });
    expect(shellFileWrite("cat > hello.txt <<EOF\nHello from $USER\nEOF", PATH)).toEqual({
      unreadable: "its here-document expands what only running it would tell",
    });
    expect(shellFileWrite("cat > hello.txt <<EOF\nHello", PATH)).toEqual({ unreadable: "its here-document is not closed by EOF alone" });
  });

  it("what only running it would tell: no content", () => {
    for (const block of [
      'echo "Hello from $USER" > hello.txt',
      'echo -e "Hello\\tfrom" > hello.txt',
      "echo $(date) > hello.txt",
      "printf 'Hello from mallex\\n' > hello.txt",
      "mkdir -p out && echo hi > hello.txt",
      "echo hi | tee hello.txt",
      "date > hello.txt",
    ])
      expect(shellFileWrite(block, PATH), block).toHaveProperty("unreadable");
  });

  it("a block that writes no such file is none of this: content, a command for another file, markup naming the file", () => {
    for (const block of [
      "Hello from mallex",
      'echo "Hello" > other.txt',
      'echo "Hello" > hello.txt.bak',
      "<ul>\n<li>hello.txt</li>\n</ul>",
      "if a > b:\n    print(a)",
      "",
    ])
      expect(shellFileWrite(block, PATH), block).toBeUndefined();
  });
});
