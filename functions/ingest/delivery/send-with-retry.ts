// The retry loop of one request, shaped like Prometheus' sendWriteRequestWithBackoff (storage/remote/
// queue_manager.go): run an attempt; stop on success or on an error that is not recoverable; otherwise wait
// (the back-off, or the receiver's Retry-After when it asks for longer) and try again. Unlike Prometheus, which
// retries until its context ends, a Lambda has a deadline: no attempt starts, and no wait ends, after it.
import { nextDelayMs } from '../retry-policy.js';

/** An attempt is not started with less time than this left: it could not finish anyway. */
export const MIN_ATTEMPT_MS = 50;

/** A failure worth retrying (Prometheus' remote.RecoverableError): 5xx, 429, timeouts, lost connections. */
export class RecoverableError {
  readonly recoverable = true;

  constructor(
    /** The answer, as quoted in logs and dead-letter reasons. */
    readonly reason: string,
    /** The receiver's Retry-After, if it sent one. */
    readonly retryAfterMs?: number,
  ) {}
}

/** The loop gave up: time ran out while the request still failed retryably. */
export interface GaveUp {
  readonly kind: 'gave-up';
  readonly reason: string;
  /** True when the loop stopped because `stopped()` said so, not for lack of time. */
  readonly stopped: boolean;
  /** The last recoverable error, undefined when not even the first attempt could start. */
  readonly lastError: RecoverableError | undefined;
}

export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export interface RetryOptions {
  readonly clock: RetryClock;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** No attempt starts later than MIN_ATTEMPT_MS before this. */
  readonly deadlineMs: number;
  /** No retry is scheduled to start after this (at most `deadlineMs`). */
  readonly retryUntilMs: number;
  /** Checked before every attempt: true stops the loop (another request found a misconfiguration). */
  readonly stopped?: () => boolean;
  readonly onRetry?: (event: {
    readonly delayMs: number;
    readonly retry: number;
    readonly reason: string;
  }) => void;
}

/** What an attempt returns: undefined for success, or the error that ended it. */
export type AttemptError<E> = E | RecoverableError;

function isRecoverable<E>(error: AttemptError<E>): error is RecoverableError {
  return error instanceof RecoverableError;
}

/**
 * Runs `attempt(retry, timeoutMs)` until it succeeds (undefined), fails unrecoverably (its error), or time runs
 * out (GaveUp). `retry` is 0 for the first attempt; `timeoutMs` is what is left before the deadline.
 */
export async function sendWithRetry<E>(
  attempt: (retry: number, timeLeftMs: number) => Promise<AttemptError<E> | undefined>,
  options: RetryOptions,
): Promise<E | GaveUp | undefined> {
  const { clock } = options;
  const retryUntilMs = Math.min(options.retryUntilMs, options.deadlineMs);
  let lastError: RecoverableError | undefined;
  for (let retry = 0; ; retry++) {
    if (options.stopped?.() === true) {
      return { kind: 'gave-up', reason: 'stopped', stopped: true, lastError };
    }
    const left = options.deadlineMs - clock.now();
    if (left < MIN_ATTEMPT_MS) {
      return { kind: 'gave-up', reason: 'deadline reached before the attempt', stopped: false, lastError };
    }
    const error = await attempt(retry, left);
    if (error === undefined) return undefined;
    if (!isRecoverable(error)) return error;
    lastError = error;
    const delayMs = nextDelayMs(retry, error.retryAfterMs, {
      baseMs: options.baseDelayMs,
      maxMs: options.maxDelayMs,
      random: () => clock.random(),
    });
    if (clock.now() + delayMs + MIN_ATTEMPT_MS > retryUntilMs) {
      return {
        kind: 'gave-up',
        reason: `deadline too close to wait ${delayMs} ms after ${error.reason}`,
        stopped: false,
        lastError,
      };
    }
    options.onRetry?.({ delayMs, retry, reason: error.reason });
    await clock.sleep(delayMs);
  }
}
