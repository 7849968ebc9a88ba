const ATTEMPTS = 4;
const FIRST_DELAY_MS = 500;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls `request` until it succeeds, doubling the wait after each failure. */
export async function fetchWithRetry(request) {
  let delay = FIRST_DELAY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (attempt === ATTEMPTS) throw error;
      await sleep(delay);
      delay *= 2;
    }
  }
}
