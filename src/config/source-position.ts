/** Where a value was written: the file (as the user should see it), 1-based line and column. */
export interface SourcePosition {
  file: string;
  line: number;
  col: number;
}

/** Positions of one child of a map or list: its key (maps only) and its value. */
export interface ChildOrigin {
  key?: SourcePosition;
  value: SourcePosition;
}

/**
 * Where every value of a loaded config came from. Keyed by container (object or array) so positions
 * travel with values through include merging; children are keyed by property name or list index.
 */
export type Origins = WeakMap<object, Map<string, ChildOrigin>>;

export function recordOrigin(origins: Origins, container: object, child: string | number, origin: ChildOrigin): void {
  let children = origins.get(container);
  if (!children) {
    children = new Map();
    origins.set(container, children);
  }
  children.set(String(child), origin);
}

/** The origin of the value at a JSON-pointer-like path (list of keys), or of its closest ancestor. */
export function originAt(root: unknown, origins: Origins, path: readonly (string | number)[], fallback: SourcePosition): ChildOrigin {
  let current: unknown = root;
  let found: ChildOrigin = { value: fallback };
  for (const segment of path) {
    if (current === null || typeof current !== "object") break;
    const child = origins.get(current)?.get(String(segment));
    if (child) found = child;
    current = (current as Record<string, unknown>)[segment as string];
  }
  return found;
}

export function formatPosition(pos: SourcePosition): string {
  return `${pos.file}:${pos.line}:${pos.col}`;
}
