// Paces work to an average rate (messages per second). Replay and simulate send in batches of up to 10,
// so the limiter is a schedule: each batch of n waits until its slot, and moves the next slot by n/rate.

export interface RateLimiter {
  /** Resolves when n more units may go; resolves at once when unlimited, early when the signal aborts. */
  take(n: number, signal?: AbortSignal): Promise<void>;
}

export function createRateLimiter(perSecond: number | undefined): RateLimiter {
  if (perSecond === undefined || !Number.isFinite(perSecond) || perSecond <= 0) {
    return { take: () => Promise.resolve() };
  }
  let nextSlotMs = Date.now();
  return {
    async take(n, signal) {
      const now = Date.now();
      // A pause (slow receiver) must not be made up by a burst afterwards.
      if (nextSlotMs < now) nextSlotMs = now;
      const waitMs = nextSlotMs - now;
      nextSlotMs += (n / perSecond) * 1000;
      if (waitMs > 0) await sleep(waitMs, signal);
    },
  };
}

/** A timer that ends early (without throwing) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
