/**
 * A model download against a hostile or broken host (a real HTTP server on loopback, as a CDN
 * answers: HEAD with Content-Length, GET with Range → 206 and Content-Range): a CDN that stalls
 * before its headers or mid-body is given up after the silence limit, not waited on forever (one
 * that stalls after bringing bytes is resumed); an 11 TB declared size is refused before a byte is
 * written, with the free space in the sentence; a revision that is a path never names another folder.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkFreeSpace } from "../src/engine/check-free-space.js";
import { parseModelSource } from "../src/engine/parse-model-source.js";
import { resolveModelSource } from "../src/engine/resolve-model-source.js";

const FILE = Buffer.concat([Buffer.from("GGUF", "latin1"), Buffer.alloc(64 * 1024, 7)]);

type Handler = (req: IncomingMessage, res: ServerResponse, gets: number) => void;
const servers: Array<{ close(): void; closeAllConnections(): void }> = [];
afterEach(() => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function serve(handler: Handler): Promise<string> {
  let gets = 0;
  const server = createServer((req, res) => {
    if (req.method === "GET") gets++;
    handler(req, res, gets);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** HEAD: the file's size; GET: the file from a Range's start, as a CDN answers. */
function cdn(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  options: { declaredSize?: number; send?: (from: number) => Buffer | "stall-headers" } = {},
): void {
  const size = options.declaredSize ?? body.length;
  if (req.method === "HEAD") {
    res.writeHead(200, { "content-length": String(size), "accept-ranges": "bytes" }).end();
    return;
  }
  const from = Number(/^bytes=(\d+)-/.exec(req.headers.range ?? "")?.[1] ?? 0);
  const part = options.send?.(from) ?? body.subarray(from);
  if (part === "stall-headers") return; // accepts the request, answers nothing
  res.writeHead(from > 0 ? 206 : 200, { "content-length": String(size - from), ...(from > 0 ? { "content-range": `bytes ${from}-${size - 1}/${size}` } : {}) });
  res.write(part); // and, when `part` is short, nothing more: the body stalls
  if (from + part.length === size) res.end();
}

const resolveFrom = (url: string, modelsDir: string, lines: string[] = []) =>
  resolveModelSource(`${url}/models/tiny.gguf`, { modelsDir, onProgress: (line) => lines.push(line), silenceMs: 300 });

describe("downloads that stall", () => {
  it("a CDN that accepts the GET and never answers is given up after the silence, in a sentence", async () => {
    const url = await serve((req, res) => cdn(req, res, FILE, { send: () => "stall-headers" }));
    const modelsDir = mkdtempSync(join(tmpdir(), "mallex-stall-"));
    await expect(resolveFrom(url, modelsDir)).rejects.toThrow(
      /the download of .*tiny\.gguf stopped at 0% \(no data arrived for 300 ms\): start again to resume it/,
    );
  });

  it("a body that stops mid-way and never brings a byte more ends the download, the part kept to resume", async () => {
    const url = await serve((req, res) => cdn(req, res, FILE, { send: (from) => (from === 0 ? FILE.subarray(0, 16 * 1024) : Buffer.alloc(0)) }));
    const modelsDir = mkdtempSync(join(tmpdir(), "mallex-stall-"));
    await expect(resolveFrom(url, modelsDir)).rejects.toThrow(/stopped at 24% \(no data arrived for 300 ms\)/);
    const parts = readdirSync(join(modelsDir, "url", `127.0.0.1_${new URL(url).port}`, "models")).filter((name) => name.endsWith(".part"));
    expect(parts).toHaveLength(1);
  });

  it("a body that stalls after bringing bytes is resumed with a Range request and completes", async () => {
    const url = await serve((req, res, gets) => cdn(req, res, FILE, { send: (from) => (gets === 1 ? FILE.subarray(0, 16 * 1024) : FILE.subarray(from)) }));
    const modelsDir = mkdtempSync(join(tmpdir(), "mallex-stall-"));
    const path = await resolveFrom(url, modelsDir);
    expect(readFileSync(path).equals(FILE)).toBe(true);
  });
});

describe("downloads the disk cannot hold", () => {
  it("an 11 TB declared size is refused before anything is written, naming the free space", async () => {
    const url = await serve((req, res) => cdn(req, res, FILE, { declaredSize: 11 * 1000 ** 4 }));
    const modelsDir = mkdtempSync(join(tmpdir(), "mallex-space-"));
    await expect(resolveFrom(url, modelsDir)).rejects.toThrow(/cannot download .*tiny\.gguf: it needs 11\.0 TB more but .* has [\d.]+ [KMGT]?B free/);
    const dir = join(modelsDir, "url", `127.0.0.1_${new URL(url).port}`, "models");
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  });

  it("counts what a resumable part already has, and the spare margin", async () => {
    const free = async () => 10 * 1024 ** 3;
    await expect(checkFreeSpace({ label: "m", dir: "/models", size: 9 * 1024 ** 3, alreadyHave: 0, free })).resolves.toBeUndefined();
    await expect(checkFreeSpace({ label: "m", dir: "/models", size: 10 * 1024 ** 3, alreadyHave: 0, free })).rejects.toThrow(
      /needs 10\.7 GB more but \/models has 10\.7 GB free/,
    );
    await expect(checkFreeSpace({ label: "m", dir: "/models", size: 12 * 1024 ** 3, alreadyHave: 3 * 1024 ** 3, free })).resolves.toBeUndefined();
    await expect(checkFreeSpace({ label: "m", dir: "/models", size: undefined, alreadyHave: 0, free })).resolves.toBeUndefined();
  });
});

describe("revisions that are paths", () => {
  const parse = (source: string) => parseModelSource(source, "https://huggingface.co");
  it.each([
    "hf:user/repo/x.gguf#..",
    "hf:user/repo/x.gguf#.",
    "hf:user/repo/x.gguf#a/../b",
    "hf:user/repo/x.gguf#a//b",
    "hf:user/repo/x.gguf#/etc",
    "hf:user/repo/x.gguf#a\\b",
    "https://huggingface.co/user/repo/resolve/a%2F..%2F..%2Fother/x.gguf",
  ])("%s is refused in a sentence", (source) => {
    expect(() => parse(source)).toThrow(/is not a model source mallex understands: ".*" is not a revision/);
  });

  it("branches, tags, refs/pr/N and commit shas are revisions", () => {
    for (const revision of ["main", "v1.0", "refs/pr/12", "0123456789abcdef0123456789abcdef01234567", "my_branch-2"]) {
      expect(parse(`hf:user/repo/x.gguf#${revision}`)).toMatchObject({ kind: "hf-file", revision });
    }
  });

  it("hf:user/repo/x.gguf#.. does not resolve to the folder another URI's file is in", async () => {
    const modelsDir = mkdtempSync(join(tmpdir(), "mallex-rev-"));
    await expect(
      resolveModelSource("hf:user/repo/x.gguf#..", { modelsDir, onProgress: () => undefined, endpoints: { huggingFace: "http://127.0.0.1:1" } }),
    ).rejects.toThrow(/not a revision/);
  });
});
