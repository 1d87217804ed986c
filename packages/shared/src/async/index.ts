// Small async helpers every service uses: one of each.
export { cachedFor } from "./cached.js";
export { backoffDelayMs, retryUntil, type RetryOptions } from "./retry.js";
export { sleep } from "./sleep.js";
export { settlesWithin, withTimeout } from "./timeout.js";
export { createWakeups, type Wakeups } from "./wakeups.js";
