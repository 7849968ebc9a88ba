/** Types for layout-rules.js: which folder of src/ may import which. */
export const LAYOUT_RULES: Readonly<Record<string, readonly string[]>>;
