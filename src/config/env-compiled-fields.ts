/**
 * The fields whose `${VAR}` is resolved when the config is compiled, its value written into
 * generated/: settings (addresses, paths, model ids, numbers and switches), never text that goes
 * into prompts and templates. Default deny: a field not listed here (a description, a template, a
 * filter, an intent, a field the schema gains later) refuses `${VAR}`, since generated/ is a project
 * file, often committed, and its value would sit there. Credentials have fields of their own (api_key,
 * auth_token, headers), kept as `${VAR}` and read when mallex starts.
 *
 * `*` is any map key, `#` any list index.
 */
export const ENV_COMPILED_FIELDS = [
  "include.#",
  "disable.#",
  "server.host",
  "server.port",
  "server.request_timeout_s",
  "server.answer_timeout_s",
  "server.allowed_hosts.#",
  "server.cors_origins.#",
  "server.max_body_mb",
  "server.max_in_flight_per_backend",
  "server.max_waiting_per_backend",
  "backends.*.kind",
  "backends.*.flavor",
  "backends.*.base_url",
  "backends.*.urls.#",
  "backends.*.timeout_s",
  "backends.*.connect_timeout_s",
  "backends.*.supervise.command",
  "backends.*.supervise.venv",
  "backends.*.supervise.readiness.*",
  "backends.*.supervise.idle_unload_minutes",
  "backends.*.supervise.wedge_timeout_s",
  "backends.*.supervise.max_restarts",
  "backends.*.supervise.restart_window_s",
  "backends.*.supervise.on_exit",
  "backends.*.supervise.distributed.*",
  "backends.*.pool.*",
  "profiles.*.backend",
  "profiles.*.model",
  "profiles.*.draft_model",
  "profiles.*.params_b",
  "profiles.*.size",
  "profiles.*.min_ram_gb",
  "profiles.*.active_params_b",
  "profiles.*.download_gb",
  "profiles.*.context_window",
  "profiles.*.input_budget",
  "profiles.*.max_output_tokens",
  "profiles.*.engine.*",
  "memory.budget_gb",
  "tiers.*.profile",
  "tiers.*.fallback",
  "tiers.*.max_ttft_s",
  "routing.default_tier",
  "classifier.mode",
  "classifier.profile",
  "classifier.timeout_ms",
  "observability.log_level",
  "observability.log_file",
  "observability.log_max_bytes",
  "observability.log_max_files",
] as const;

const PATTERNS = ENV_COMPILED_FIELDS.map((field) => field.split("."));

/** Whether the field at `path` (map keys and list indices as written) takes `${VAR}` at compile time. */
export function takesEnvAtCompile(path: readonly string[]): boolean {
  return PATTERNS.some(
    (pattern) => pattern.length === path.length && pattern.every((part, i) => part === "*" || (part === "#" ? /^\d+$/.test(path[i]!) : part === path[i])),
  );
}

/** A URL with a password in it (`scheme://user:password@host`): a credential, whatever field holds it. */
export function hasUrlPassword(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i.test(value);
}
