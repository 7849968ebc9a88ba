/**
 * How mallex starts its embedded engine, as a `supervise: { command }` would declare it; the supervisor
 * appends each profile's engine flags. The compiler names it in its hint, `--embedded` declares it.
 */
export const ENGINE_COMMAND = "{mallex} engine --model {model} --host {host} --port {port}";
