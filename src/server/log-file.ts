import { appendFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type { RoutingTable } from "../compile/routing-table.js";

/** Where mallex's one-line-per-event log goes: observability.log_file under MALLEX_HOME. */
export function logFilePath(mallexHome: string, table: RoutingTable): string {
  return join(mallexHome, table.observability.logFile ?? "mallex.log");
}

/** Appends a timestamped line to the log file and shows it through `echo` (the terminal, or nothing). */
export function createLogWriter(file: string, echo: (line: string) => void): (line: string) => void {
  mkdirSync(dirname(file), { recursive: true });
  return (line) => {
    appendFileSync(file, `${new Date().toISOString()} ${line}\n`);
    echo(line);
  };
}
