// @ts-check
/** Timestamps in the formats Python's `logging` and `BaseHTTPRequestHandler` print. */

/** @param {number} n @param {number} [width] */
const pad = (n, width = 2) => String(n).padStart(width, "0");

/** `%(asctime)s` of `logging.basicConfig`, local time: `2025-11-21 12:51:00,123`. @param {number} ms */
export function asctime(ms) {
  const d = new Date(ms);
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${date} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`;
}

/** `log_date_time_string()` of an access-log line: `21/Nov/2025 12:51:00`. @param {number} ms */
export function accessLogDate(ms) {
  const d = new Date(ms);
  const month = d.toLocaleString("en-US", { month: "short" });
  return `${pad(d.getDate())}/${month}/${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
