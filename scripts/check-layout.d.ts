/** Types for check-layout.js (plain JavaScript, run by node directly). */

export interface LayoutProblem {
  /** circle: files that import each other; direction: an import the table does not allow; unknown-folder: a folder the table lacks; loose-file: a file in src/ itself; table: the table allows a circle or names a folder it lacks. */
  kind: "circle" | "direction" | "unknown-folder" | "loose-file" | "table";
  message: string;
}

export function checkLayout(options: { srcDir: string; rules?: Record<string, readonly string[]> }): { files: number; problems: LayoutProblem[] };

/** The circles of a graph: per tangle (strongly connected component), the shortest loop from each preferred member, else from its first. */
export function findCircles(graph: Map<string, readonly string[]>, prefer?: (node: string) => boolean): string[][];
