/**
 * Where a file's bytes are and what they should hash to, from one HEAD request and no download:
 * what huggingface_hub's get_hf_file_metadata does. For a GGUF (an LFS/Xet file) the Hub answers
 * `…/resolve/<revision>/<file>` with a 302 to a signed CDN URL (valid about an hour, so never
 * stored), and puts the file's sha256 in `X-Linked-Etag` and its size in `X-Linked-Size`. The 302's
 * own Content-Length is the redirect body's, and the CDN's ETag is a Xet hash, not the sha256.
 * A redirect within the Hub (a renamed repository) is followed; the one to the CDN is not: its
 * headers are the metadata, and the signed URL is where the bytes are.
 */
import { fetchOrUnreachable, RemoteStatusError } from "./fetch-or-unreachable.js";

export interface RemoteFileInfo {
  /** The URL to GET the bytes from (the CDN's, for a Hub file). */
  downloadUrl: string;
  size: number | undefined;
  /** The sha256 the server publishes for the file, lowercase hex; undefined when it publishes none. */
  sha256: string | undefined;
}

const MAX_REDIRECTS = 5;
const SHA256 = /^[0-9a-f]{64}$/;

export async function fetchRemoteFileInfo(url: string, init: { headers: Record<string, string>; signal?: AbortSignal }): Promise<RemoteFileInfo> {
  let current = url;
  let headers = init.headers;
  for (let hop = 0; ; hop++) {
    const response = await fetchOrUnreachable(current, {
      method: "HEAD",
      redirect: "manual",
      // A compressed answer's Content-Length is not the file's size.
      headers: { ...headers, "Accept-Encoding": "identity" },
      ...(init.signal ? { signal: init.signal } : {}),
    });
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, current);
      const linked = { size: parseSize(response.headers.get("x-linked-size")), sha256: parseSha256(response.headers.get("x-linked-etag")) };
      // The Hub's redirect to its CDN carries the file's metadata: stop there. Other servers' redirects are followed.
      if (linked.size !== undefined || linked.sha256 !== undefined || hop >= MAX_REDIRECTS) return { downloadUrl: next.href, ...linked };
      // A token is for the Hub only, never for the host it sends us to.
      if (next.origin !== new URL(current).origin) headers = {};
      current = next.href;
      continue;
    }
    if (!response.ok) throw new RemoteStatusError(response);
    return {
      downloadUrl: current,
      size: parseSize(response.headers.get("x-linked-size") ?? response.headers.get("content-length")),
      // Only X-Linked-Etag is a sha256 for sure: a non-LFS file's ETag is a git sha1, a Xet CDN's is a Xet hash.
      sha256: parseSha256(response.headers.get("x-linked-etag")),
    };
  }
}

function parseSize(value: string | null): number | undefined {
  const size = Number(value ?? "");
  return value !== null && Number.isSafeInteger(size) && size >= 0 ? size : undefined;
}

/** `"abc…"` or `W/"abc…"` → abc… when it is a sha256. */
function parseSha256(value: string | null): string | undefined {
  const unquoted = value?.trim().replace(/^W\//, "").replace(/^"|"$/g, "").toLowerCase();
  return unquoted !== undefined && SHA256.test(unquoted) ? unquoted : undefined;
}
