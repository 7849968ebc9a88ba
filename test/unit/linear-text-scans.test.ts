/**
 * The request path's own scans of a client's text (not config regexes: those run in re2js) read each
 * character a bounded number of times. Two V8 regexes did not: the reminder splitter scanned to the
 * end of the text from every `<system-reminder>` without a closing tag, and the heading matcher of
 * keep rules tried every split of a long line of spaces (seconds at 64 KB); 1 MB of reminder tags
 * held the event loop for minutes. Each is checked here to find what the old regex found (fast-check, over texts built from
 * the pieces that matter) and to get through the adversarial text (vitest's timeout is the bound; the
 * old regexes took minutes on these).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { extractKeptSections, KEEP_MAX_SOURCE_CHARS } from "../../src/trim/system-prompt/extract-kept-sections.js";
import { joinSegments, splitSystemReminders, type TextSegment } from "../../src/trim/read-preamble.js";

/** The splitter as it was: the regex, with the same segments built from its groups. */
function splitWithRegex(text: string): TextSegment[] {
  const segments: TextSegment[] = [];
  let at = 0;
  for (const match of text.matchAll(/<system-reminder>(\n?)([\s\S]*?)(\n?)<\/system-reminder>(\n*)/g)) {
    if (match.index > at) segments.push({ kind: "text", text: text.slice(at, match.index) });
    segments.push({ kind: "reminder", open: `<system-reminder>${match[1]}`, inner: match[2]!, close: `${match[3]}</system-reminder>`, after: match[4]! });
    at = match.index + match[0].length;
  }
  if (at < text.length) segments.push({ kind: "text", text: text.slice(at) });
  return segments;
}

const pieces = (words: string[]) => fc.array(fc.constantFrom(...words), { maxLength: 40 }).map((parts) => parts.join(""));

describe("splitSystemReminders", () => {
  it("finds what the regex found, on any mix of tags, line breaks and text", () => {
    fc.assert(
      fc.property(pieces(["<system-reminder>", "</system-reminder>", "\n", "\n\n", "a", " ", "<system-", "reminder>", "<"]), (text) => {
        expect(splitSystemReminders(text)).toEqual(splitWithRegex(text));
        expect(joinSegments(splitSystemReminders(text))).toBe(text);
      }),
      { numRuns: 3000, seed: 24 },
    );
  });

  it("gets through 1 MB of opening tags with no closing one, and one closing tag after them", () => {
    const opens = "<system-reminder>".repeat(60_000);
    expect(splitSystemReminders(opens)).toEqual([{ kind: "text", text: opens }]);
    const segments = splitSystemReminders(`${opens}x</system-reminder>`);
    expect(segments).toHaveLength(1);
    expect(segments[0]).toMatchObject({ kind: "reminder", inner: `${opens.slice("<system-reminder>".length)}x` });
  });
});

describe("keep rules' headings", () => {
  const HEADING_AS_IT_WAS = /^(#{1,6})[ \t]+(.*?)[ \t#]*$/;

  it("a line is the heading the regex said it was, with the same text", () => {
    fc.assert(
      fc.property(pieces(["#", "##", " ", "\t", "Harness", "a", "\r", "\u00a0", "-"]), (line) => {
        const text = `${line}\nbody\n# End`;
        const old = HEADING_AS_IT_WAS.exec(line);
        const wanted = old === null ? undefined : (old[2] ?? "").trim();
        // A heading found by its text gives its section; a line the old regex did not take gives nothing.
        if (wanted !== undefined && wanted !== "") {
          expect(extractKeptSections(text, [{ id: "h", heading: wanted }])).toEqual([
            { id: "h", text: "body", charsCut: 0, from: "system", matched: `${line}\nbody` },
          ]);
        } else {
          expect(extractKeptSections(text, [{ id: "h", heading: "Harness" }]).some((section) => section.text === "body")).toBe(false);
        }
      }),
      { numRuns: 3000, seed: 24 },
    );
  });

  it("gets through a heading line of spaces as long as a searched text may be, and still finds the section after it", () => {
    const text = `# a${" ".repeat(KEEP_MAX_SOURCE_CHARS - 100)}b\n## Harness\nRun the tests.\n`;
    expect(extractKeptSections(text, [{ id: "harness", heading: "Harness" }])).toEqual([
      { id: "harness", text: "Run the tests.", charsCut: 0, from: "system", matched: "## Harness\nRun the tests.\n" },
    ]);
  });
});
