// Limits of the network layer.
export const TIMEOUT_MS = 10_000;
export const MAX_RETRIES = 3;
export const MAX_REDIRECTS = 10;
