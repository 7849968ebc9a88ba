/**
 * A fake Hugging Face Hub and CDN on loopback, answering what mallex and node-llama-cpp ask of the
 * real ones, the way they answer (sources in each route's comment):
 *
 * - Hub `HEAD|GET /<user>/<repo>/resolve/<rev>/<path>`: for an LFS file a 302 to a signed CDN URL
 *   on another origin, with `X-Linked-Etag: "<sha256>"`, `X-Linked-Size`, `X-Repo-Commit`; the
 *   302's Content-Length is its text body's. Errors carry `X-Error-Code` (RepoNotFound, GatedRepo,
 *   RevisionNotFound, EntryNotFound) and `X-Error-Message`; a missing or gated repository is a 401
 *   to a caller without a token. (huggingface_hub get_hf_file_metadata / hf_raise_for_status;
 *   `curl -I` captures in ngxson/wllama#248 and LocalAI's gallery guide.)
 * - Hub `GET /v2/<user>/<repo>/manifests/<tag>`: the Ollama-compatible manifest; only a
 *   `User-Agent: llama-cpp` caller gets `ggufFile: {rfilename, blobId, size}`. "latest" is Q4_K_M
 *   if present; an unknown tag is a 400 `{"error": "The specified tag is not a valid quantization
 *   scheme. …"}`. (node-llama-cpp parseModelUri.js, llama.cpp common_get_hf_file, ollama#7365.)
 * - Hub `GET /api/models/<user>/<repo>`: the model API (huggingface_hub HfApi.model_info, hf_api.py;
 *   https://huggingface.co/docs/hub/api): 200 with `id`, `modelId`, `author`, `sha`, `private`,
 *   `gated` ("manual" for a gated repository, whose info is public), `tags` and `siblings:
 *   [{rfilename}]`; a missing repository is the same 401 RepoNotFound as above.
 * - CDN `GET|HEAD /xet-bridge-us/<id>/<sha256>?X-Amz-…`: `Accept-Ranges: bytes`, a 206 with
 *   `Content-Range` for `Range: bytes=a-[b]`, 416 past the end; its ETag is not the sha256.
 *
 * Tests steer it: cut the next downloads after N bytes (the socket is destroyed), serve slowly,
 * serve a corrupted body, stop and restart on the same ports; every request is recorded.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeRepo {
  /** Path in the repository → content. Every file is served as an LFS file. */
  files: Record<string, Buffer>;
  /** Manifest tags (upper case) → path; "latest" falls back to the Q4_K_M tag, then the first .gguf. */
  tags?: Record<string, string>;
  /** Needs `Authorization: Bearer <token>`. */
  gatedToken?: string;
}

export interface RecordedRequest {
  server: "hub" | "cdn";
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
}

export interface FakeHuggingFace {
  /** The Hub's base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  requests: RecordedRequest[];
  /** The next `times` CDN downloads send `bytes` bytes of the body, then the socket is destroyed. */
  cutDownloadsAfter(bytes: number, times?: number): void;
  /** CDN bodies go out `chunk` bytes every `everyMs` (0: all at once). */
  throttle(chunk: number, everyMs: number): void;
  /** CDN bodies have one byte flipped; the published sha256 stays the real one. */
  corrupt(on: boolean): void;
  /** Called when a CDN download has sent `bytes` (before a cut, or as it streams). */
  onBodyBytes?: (bytes: number) => void;
  /** Stops listening (connections refused) until start() again on the same ports. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

const COMMIT = "5d0ca08b0e1a1ab7f30cbd2c6a2eb4a3f0b7c2d1";

export async function startFakeHuggingFace(repos: Record<string, FakeRepo>): Promise<FakeHuggingFace> {
  const requests: RecordedRequest[] = [];
  const blobs = new Map<string, Buffer>(); // sha256 → content
  let cut: { bytes: number; times: number } | undefined;
  let pace = { chunk: 0, everyMs: 0 };
  let corrupt = false;

  const hub = createServer((req, res) => {
    requests.push({ server: "hub", method: req.method ?? "", path: req.url ?? "", headers: req.headers });
    const url = new URL(req.url ?? "/", "http://hub");
    const manifest = /^\/v2\/([^/]+)\/([^/]+)\/manifests\/([^/]+)$/.exec(url.pathname);
    if (manifest) return serveManifest(req, res, manifest.slice(1).map(decodeURIComponent) as [string, string, string]);
    const modelInfo = /^\/api\/models\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (modelInfo) return serveModelInfo(res, modelInfo.slice(1).map(decodeURIComponent) as [string, string]);
    const resolve = /^\/([^/]+)\/([^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (resolve) return serveResolve(req, res, resolve.slice(1).map(decodeURIComponent) as [string, string, string, string]);
    res.writeHead(404, { "Content-Type": "text/plain" }).end("Not Found");
  });

  const cdn = createServer((req, res) => {
    requests.push({ server: "cdn", method: req.method ?? "", path: req.url ?? "", headers: req.headers });
    const url = new URL(req.url ?? "/", "http://cdn");
    const content = blobs.get(url.pathname.split("/").at(-1) ?? "");
    if (!content || !url.searchParams.get("X-Amz-Signature"))
      return void res.writeHead(403, { "Content-Type": "application/xml" }).end("<Error><Code>AccessDenied</Code></Error>");
    serveBlob(req, res, content);
  });

  function repoFor(req: IncomingMessage, res: ServerResponse, user: string, name: string): FakeRepo | undefined {
    const repo = repos[`${user}/${name}`];
    if (!repo) {
      res.writeHead(401, { "X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found", "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: "Repository not found" }));
      return undefined;
    }
    if (repo.gatedToken && req.headers.authorization !== `Bearer ${repo.gatedToken}`) {
      const message = `Access to model ${user}/${name} is restricted. You must have access to it and be authenticated to access it. Please log in.`;
      res.writeHead(401, { "X-Error-Code": "GatedRepo", "X-Error-Message": message, "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: message }));
      return undefined;
    }
    return repo;
  }

  function serveResolve(req: IncomingMessage, res: ServerResponse, [user, name, revision, path]: [string, string, string, string]): void {
    const repo = repoFor(req, res, user, name);
    if (!repo) return;
    if (revision !== "main" && revision !== COMMIT)
      return void res
        .writeHead(404, { "X-Error-Code": "RevisionNotFound", "X-Error-Message": `Invalid rev id: ${revision}` })
        .end(`Invalid rev id: ${revision}`);
    const content = repo.files[path];
    if (!content) return void res.writeHead(404, { "X-Error-Code": "EntryNotFound", "X-Error-Message": "Entry not found" }).end("Entry not found");
    const sha256 = createHash("sha256").update(content).digest("hex");
    blobs.set(sha256, content);
    const location = `${cdnUrl}/xet-bridge-us/65c0e0a24913fc50b7ba14d2/${sha256}?X-Xet-Cas-Uid=public&response-content-disposition=inline%3B+filename%3D%22${encodeURIComponent(path.split("/").at(-1)!)}%22%3B&X-Amz-Expires=3600&X-Amz-Signature=${randomBytes(16).toString("hex")}`;
    const body = `Found. Redirecting to ${location}`;
    res.writeHead(302, {
      Location: location,
      "Content-Type": "text/plain; charset=utf-8",
      "Content-Length": Buffer.byteLength(body),
      "X-Linked-Etag": `"${sha256}"`,
      "X-Linked-Size": String(content.length),
      "X-Repo-Commit": COMMIT,
      "Access-Control-Expose-Headers":
        "X-Repo-Commit,X-Request-Id,X-Error-Code,X-Error-Message,X-Total-Count,ETag,Link,Accept-Ranges,Content-Range,X-Linked-Size,X-Linked-ETag,X-Xet-Hash",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  }

  function serveModelInfo(res: ServerResponse, [user, name]: [string, string]): void {
    const repo = repos[`${user}/${name}`];
    if (!repo) {
      res.writeHead(401, { "X-Error-Code": "RepoNotFound", "X-Error-Message": "Repository not found", "Content-Type": "application/json" });
      return void res.end(JSON.stringify({ error: "Repository not found" }));
    }
    const id = `${user}/${name}`;
    const info = {
      _id: createHash("md5").update(id).digest("hex").slice(0, 24),
      id,
      modelId: id,
      author: user,
      sha: COMMIT,
      private: false,
      gated: repo.gatedToken ? "manual" : false,
      disabled: false,
      tags: ["gguf"],
      siblings: Object.keys(repo.files).map((rfilename) => ({ rfilename })),
    };
    res.writeHead(200, { "Content-Type": "application/json; charset=utf-8" }).end(JSON.stringify(info));
  }

  function serveManifest(req: IncomingMessage, res: ServerResponse, [user, name, tag]: [string, string, string]): void {
    const repo = repoFor(req, res, user, name);
    if (!repo) return;
    const tags = repo.tags ?? {};
    const upper = tag.toUpperCase();
    const path = upper === "LATEST" ? (tags.Q4_K_M ?? Object.keys(repo.files).find((file) => file.endsWith(".gguf"))) : tags[upper];
    const content = path === undefined ? undefined : repo.files[path];
    if (path === undefined || content === undefined) {
      res.writeHead(400, { "Content-Type": "application/json" });
      return void res.end(JSON.stringify({ error: 'The specified tag is not a valid quantization scheme. Please use another tag or "latest"' }));
    }
    const sha256 = createHash("sha256").update(content).digest("hex");
    const manifest: Record<string, unknown> = {
      schemaVersion: 2,
      mediaType: "application/vnd.docker.distribution.manifest.v2+json",
      config: { digest: `sha256:${createHash("sha256").update(path).digest("hex")}`, mediaType: "application/vnd.docker.container.image.v1+json", size: 120 },
      layers: [{ digest: `sha256:${sha256}`, mediaType: "application/vnd.ollama.image.model", size: content.length }],
    };
    if (req.headers["user-agent"]?.includes("llama-cpp")) manifest.ggufFile = { rfilename: path, blobId: `sha256:${sha256}`, size: content.length };
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(manifest));
  }

  function serveBlob(req: IncomingMessage, res: ServerResponse, original: Buffer): void {
    const content = corrupt ? Buffer.from(original) : original;
    if (corrupt) content[content.length >> 1]! ^= 0xff;
    const headers = { "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream", ETag: `"${createHash("md5").update(original).digest("hex")}"` };
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    let [start, end] = [0, content.length - 1];
    if (range) {
      [start, end] = [Number(range[1]), range[2] ? Math.min(Number(range[2]), content.length - 1) : content.length - 1];
      if (start >= content.length) return void res.writeHead(416, { ...headers, "Content-Range": `bytes */${content.length}` }).end();
      res.writeHead(206, { ...headers, "Content-Range": `bytes ${start}-${end}/${content.length}`, "Content-Length": end - start + 1 });
    } else {
      res.writeHead(200, { ...headers, "Content-Length": content.length });
    }
    if (req.method === "HEAD") return void res.end();
    const body = content.subarray(start, end + 1);
    const limit = cut && cut.times > 0 ? cut.bytes : undefined;
    if (limit !== undefined) cut!.times--;
    void streamBody(res, body, limit);
  }

  async function streamBody(res: ServerResponse, body: Buffer, limit: number | undefined): Promise<void> {
    const stop = limit ?? body.length;
    const step = pace.chunk > 0 ? pace.chunk : stop;
    let sent = 0;
    while (sent < stop && !res.destroyed) {
      const next = Math.min(stop, sent + step);
      // Wait until the bytes are on the wire: a cut must come after the client could read them.
      await new Promise((resolve) => res.write(body.subarray(sent, next), resolve));
      sent = next;
      fake.onBodyBytes?.(sent);
      if (pace.everyMs > 0) await new Promise((resolve) => setTimeout(resolve, pace.everyMs));
    }
    if (limit !== undefined) res.socket?.destroy();
    else res.end();
  }

  let hubPort = 0;
  let cdnPort = 0;
  let cdnUrl = "";
  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      // Started again while it runs (tests restart a hub another test may have stopped): nothing to do.
      if (server.listening) return resolve(port);
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const close = (server: Server) =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });

  const fake: FakeHuggingFace = {
    url: "",
    requests,
    cutDownloadsAfter: (bytes, times = 1) => void (cut = { bytes, times }),
    throttle: (chunk, everyMs) => void (pace = { chunk, everyMs }),
    corrupt: (on) => void (corrupt = on),
    async stop() {
      await Promise.all([close(hub), close(cdn)]);
    },
    async start() {
      [hubPort, cdnPort] = await Promise.all([listen(hub, hubPort), listen(cdn, cdnPort)]);
      cdnUrl = `http://127.0.0.1:${cdnPort}`;
      fake.url = `http://127.0.0.1:${hubPort}`;
    },
  };
  await fake.start();
  return fake;
}
