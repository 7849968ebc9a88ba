export const label = (n) => `retrying (${n} left)`;
