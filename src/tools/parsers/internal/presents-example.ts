/**
 * Whether the prose right before a fenced block presents the block as an example rather than as the
 * model's own action. A fence is how Markdown shows code, so a model that explains a call format
 * ("here is an example of what a Qwen3-Coder tool call looks like:") fences it exactly the way some
 * models fence their real call; only the words that introduce the fence tell the two apart. Running
 * an example (say, one with `rm -rf build`) is far worse than showing a real call as text, so any
 * cue in the introduction is enough.
 */

// How far back the introduction is read: the paragraph right before the fence, never more.
export const MAX_INTRO = 400;

/**
 * Words that present what follows as a sample, a format or a hypothetical, not as something done now.
 * "Let me read it:" and "I'll create the file:" carry none of them.
 */
const EXAMPLE_CUES = /\b(?:examples?|for instance|samples?|illustrat\w*|demonstrat\w*|looks? like|would|could|formats?|syntax|templates?|such as)\b|\be\.g\./i;

/** The paragraph that introduces a fence: after the last blank line and the last earlier fence. */
export function introductionOf(before: string): string {
  const recent = before.slice(-MAX_INTRO);
  const fence = recent.lastIndexOf("```");
  const prose = (fence === -1 ? recent : recent.slice(fence + 3)).trimEnd();
  const blankLine = [...prose.matchAll(/\n[ \t]*\n/g)].at(-1);
  return blankLine === undefined ? prose.trim() : prose.slice(blankLine.index + blankLine[0].length).trim();
}

/** Whether `before` (the answer's text up to a fence's opening) introduces the fence as an example. */
export const presentsExample = (before: string): boolean => EXAMPLE_CUES.test(introductionOf(before));

/**
 * The cues that mark even an unfenced call as a sample: most real calls are unfenced and follow a
 * line of prose ("Let me format the file:", "I could check the tests first:"), so only words that
 * name an example count there, not "would", "could", "format", "syntax" or "template".
 */
const SAMPLE_CUES = /\b(?:examples?|for instance|samples?|illustrat\w*|demonstrat\w*|looks? like|such as)\b|\be\.g\./i;

/** Whether `before` (the answer's text up to a call that starts a line) introduces it as a sample. */
export const presentsSample = (before: string): boolean => SAMPLE_CUES.test(introductionOf(before));
