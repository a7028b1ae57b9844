// What to do with each outcome of a remote-write attempt (docs/formats.md and PRW 1.0 "Retries &
// Backoff"), and how long to wait before the next attempt.

/** What the delivery does after one attempt. */
export type Verdict =
  /** 2xx: the samples are stored. */
  | 'accepted'
  /**
   * 5xx, 429, 408, network errors and timeouts: try the same request again after a back-off (a 5xx whose text
   * names the content, "too old sample", is bisected instead: delivery/request-delivery.ts).
   */
  | 'retry'
  /** A 4xx that blames the content (400, 409, 422, …): isolate the offending samples by bisection. */
  | 'reject'
  /** 413: too big, not wrong; split without blaming anyone until the pieces fit. */
  | 'split'
  /**
   * 401/403 (after refreshing credentials), 404, 405, 415: the bridge or receiver is misconfigured. No message
   * is at fault, so nothing is dead-lettered: the unwritten messages go back to SQS and the delivery stops.
   */
  | 'misconfigured';

export function classifyStatus(status: number): Verdict {
  if (status >= 200 && status < 300) return 'accepted';
  if (status === 429 || status === 408 || status >= 500) return 'retry';
  if (status === 413) return 'split';
  if (status === 401 || status === 403 || status === 404 || status === 405 || status === 415) {
    return 'misconfigured';
  }
  if (status >= 400 && status < 500) return 'reject';
  // 1xx/3xx: redirects are not followed (a redirected POST would lose its signature); treat as a receiver fault.
  return 'retry';
}

/**
 * Exponential back-off with "equal jitter" (AWS Architecture Blog, "Exponential Backoff and Jitter"): a uniform
 * delay in [c/2, c) where c = min(max, base * 2^retry). Full jitter ([0, c)) spreads load slightly better, but
 * its gaps do not grow reliably: a receiver that is down would see the first retries bunch up, and an
 * operator could not tell the bridge backs off at all. Half-fixed gaps still spread concurrent Lambdas.
 * @param retry 0 for the first retry.
 */
export function backoffDelayMs(retry: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(retry, 30));
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}

/** Retry-After as milliseconds from `nowMs`: delta-seconds or an HTTP date (RFC 9110 section 10.2.3). */
export function parseRetryAfterMs(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** The wait before the next attempt: the receiver's Retry-After wins when it asks for longer. */
export function nextDelayMs(
  retry: number,
  retryAfterMs: number | undefined,
  options: { baseMs: number; maxMs: number; random: () => number },
): number {
  const backoff = backoffDelayMs(retry, options.baseMs, options.maxMs, options.random);
  return retryAfterMs === undefined ? backoff : Math.max(backoff, retryAfterMs);
}
