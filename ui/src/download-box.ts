import { formatBytes } from "../../src/models/format-models-table.js";
import { errorText } from "./connect-events.js";
import { el } from "./dom.js";
import { postAction } from "./post-action.js";

/**
 * One line of the download's answer (server/routes/model-actions.ts: models/actions/download-model.ts'
 * DownloadProgress and DownloadedModel, written here: that module brings the engine's downloader, whose
 * Node streams are no page's types).
 */
type DownloadEvent =
  | { type: "progress"; line: string; percent: number | null }
  | { type: "done"; ref: string; path: string; sizeBytes: number }
  | { type: "error"; status: number; message: string };

export interface DownloadBoxDeps {
  headers(): HeadersInit;
  /** The download is in MALLEX_HOME/models: the list is read again. */
  reload(): Promise<void>;
}

/**
 * The Models tab's download box, above the list: a Hugging Face reference, its progress as mallex
 * sends it (the downloader's own line and a bar), then where it went or the one line that says why
 * not. Stop ends the request, which stops the download (mallex keeps nothing of it). Built once: it
 * lives beside the list, which is drawn again at each load.
 */
export function renderDownloadBox(root: HTMLElement, deps: DownloadBoxDeps): void {
  const ref = el("input");
  ref.id = "download-ref";
  ref.type = "text";
  ref.placeholder = "hf:org/repo/file.gguf or hf:org/repo:Q4_K_M";
  ref.autocomplete = "off";
  ref.spellcheck = false;
  const start = el("button", { className: "action", text: "Download" });
  start.type = "submit";
  const stop = el("button", { className: "action", text: "Stop" });
  stop.type = "button";
  stop.hidden = true;
  const bar = el("progress");
  bar.max = 100;
  bar.hidden = true;
  const line = el("div", { className: "facts download-line" });
  const result = el("p", { className: "download-result" });
  result.hidden = true;
  const form = el("form", { className: "download" }, el("label", { text: "Download a model from Hugging Face: " }, ref), " ", start, " ", stop);
  root.replaceChildren(form, bar, line, result);

  const STOPPED = "Stopped: mallex keeps nothing of the download.";

  let abort: AbortController | undefined;
  const say = (text: string, kind: "ok" | "error") => {
    result.textContent = text;
    result.className = `download-result ${kind}`;
    result.hidden = false;
  };
  const busy = (on: boolean) => {
    start.disabled = on;
    ref.disabled = on;
    stop.hidden = !on;
  };
  stop.addEventListener("click", () => abort?.abort());
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (abort !== undefined) return;
    abort = new AbortController();
    busy(true);
    bar.hidden = false;
    bar.removeAttribute("value");
    line.textContent = "Starting…";
    result.hidden = true;
    void download(ref.value.trim(), abort.signal)
      .then(
        async (end) => {
          if (end.type === "error") return say(end.message, "error");
          // The list read first, as after any change: the sentence shows beside the model's row.
          try {
            await deps.reload();
          } finally {
            say(`Downloaded ${end.path} (${formatBytes(end.sizeBytes)}).`, "ok");
          }
        },
        (error: unknown) =>
          say(
            abort?.signal.aborted ? "Stopped: mallex keeps nothing of the download." : `The download's answer broke off: ${(error as Error).message}`,
            "error",
          ),
      )
      .finally(() => {
        abort = undefined;
        busy(false);
        bar.hidden = true;
        line.textContent = "";
      });
  });

  /** Reads the answer's lines as they come; resolves with its last (done or error). */
  async function download(hf: string, signal: AbortSignal): Promise<Extract<DownloadEvent, { type: "done" | "error" }>> {
    const response = await postAction("/ui/api/models/download", { ref: hf }, deps.headers, signal);
    if (typeof response === "string") return { type: "error", status: 0, message: response === "stopped" ? STOPPED : response };
    if (!response.ok || response.body === null) return { type: "error", status: response.status, message: await errorText(response) };
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let pending = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pending += value;
      let cut: number;
      while ((cut = pending.indexOf("\n")) !== -1) {
        const event = JSON.parse(pending.slice(0, cut)) as DownloadEvent;
        pending = pending.slice(cut + 1);
        if (event.type !== "progress") return event;
        line.textContent = event.line;
        if (event.percent === null) bar.removeAttribute("value");
        else bar.value = event.percent;
      }
    }
    return { type: "error", status: 0, message: "mallex ended the download's answer without saying how it ended (stopped?)" };
  }
}
