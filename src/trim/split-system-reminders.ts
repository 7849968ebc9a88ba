/** A piece of a user text block: plain text, or one `<system-reminder>` with its exact wrapper bytes. */
export type TextSegment =
  | { kind: "text"; text: string }
  | {
      kind: "reminder";
      /** `<system-reminder>` and the line break after it, as written. */
      open: string;
      /** What the reminder says, without the line breaks next to its tags. */
      inner: string;
      /** The line break before `</system-reminder>` and the tag, as written. */
      close: string;
      /** Line breaks right after the closing tag (Claude Code ends a reminder block with "\n\n"). */
      after: string;
    };

const OPEN = "<system-reminder>";
const CLOSE = "</system-reminder>";

/**
 * Splits text into plain text and `<system-reminder>` segments (a text block may hold several
 * reminders and other text). An opening tag without a closing one stays plain text.
 * `joinSegments(splitSystemReminders(text)) === text` always holds.
 *
 * What `/<system-reminder>(\n?)([\s\S]*?)(\n?)<\/system-reminder>(\n*)/g` finds, found with indexOf:
 * that regex scans to the end of the text from every opening tag that has no closing one, so a
 * client's 1 MB of opening tags held the event loop for minutes; this reads each character once.
 */
export function splitSystemReminders(text: string): TextSegment[] {
  const segments: TextSegment[] = [];
  let at = 0;
  for (;;) {
    const start = text.indexOf(OPEN, at);
    if (start < 0) break;
    const lead = text[start + OPEN.length] === "\n" ? "\n" : "";
    const innerStart = start + OPEN.length + lead.length;
    const close = text.indexOf(CLOSE, innerStart);
    // No closing tag after the first opening one: none after any later one either.
    if (close < 0) break;
    const trail = close > innerStart && text[close - 1] === "\n" ? "\n" : "";
    let end = close + CLOSE.length;
    while (text[end] === "\n") end += 1;
    if (start > at) segments.push({ kind: "text", text: text.slice(at, start) });
    segments.push({
      kind: "reminder",
      open: `${OPEN}${lead}`,
      inner: text.slice(innerStart, close - trail.length),
      close: `${trail}${CLOSE}`,
      after: text.slice(close + CLOSE.length, end),
    });
    at = end;
  }
  if (at < text.length) segments.push({ kind: "text", text: text.slice(at) });
  return segments;
}

export function joinSegments(segments: readonly TextSegment[]): string {
  return segments.map((s) => (s.kind === "text" ? s.text : `${s.open}${s.inner}${s.close}${s.after}`)).join("");
}

/**
 * How a reminder is named in the report and in keep rules' finds: the `count`-th reminder (from 1) of
 * the text at `path`, e.g. `messages.0.content.1 (reminder 1)`. The block filters and the preamble
 * (collectPreamble) name it alike, so a fact found in a reminder moves out of that one.
 */
export function reminderPath(path: string, count: number): string {
  return `${path} (reminder ${count})`;
}
