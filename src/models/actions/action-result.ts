/**
 * What a Models page action gives: its answer, or a refusal — one sentence the user reads, and the
 * HTTP status that says what kind (400: the request is malformed; 404: no such model or profile; 409:
 * the state forbids it now — the file was edited meanwhile, a run is under way, the shipped default;
 * 422: the change itself is refused — the model does not fit, the config would be invalid). A refused
 * action has written nothing.
 */
export type ActionResult<T> = { ok: true; value: T } | Refusal;

export interface Refusal {
  ok: false;
  status: 400 | 404 | 409 | 422 | 503;
  message: string;
}

export function refuse(status: Refusal["status"], message: string): Refusal {
  return { ok: false, status, message };
}

/**
 * The fields of a request body, checked: each named one a string where given (`required` ones
 * present), no other field. A request the page never sends is refused, never half understood.
 */
export function readFields<K extends string>(
  body: unknown,
  fields: { required: readonly K[]; optional?: readonly K[] },
): { ok: true; value: Partial<Record<K, string>> & Record<(typeof fields.required)[number], string> } | Refusal {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return refuse(400, "the request's body must be a JSON object");
  const known: readonly string[] = [...fields.required, ...(fields.optional ?? [])];
  const unknown = Object.keys(body).filter((key) => !known.includes(key));
  if (unknown.length > 0)
    return refuse(
      400,
      `the request has ${unknown.map((key) => JSON.stringify(key)).join(", ")}, which this action does not take (it takes ${known.join(", ")})`,
    );
  const record = body as Record<string, unknown>;
  for (const key of known) {
    const value = record[key];
    if (value === undefined && !fields.required.includes(key as K)) continue;
    if (typeof value !== "string" || value === "") return refuse(400, `the request's ${key} must be a non-empty string`);
  }
  return { ok: true, value: record as Partial<Record<K, string>> & Record<K, string> };
}
