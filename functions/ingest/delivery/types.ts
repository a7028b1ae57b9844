// The vocabulary shared by the parts of delivery: its options, its observer hooks and its result.
import type { WriteBatch } from '../../pipeline/model.js';
import type { Authenticator } from '../auth/authenticator.js';
import type { AttemptResult, RemoteWriteClient } from '../remote-write-client.js';
import type { Verdict } from '../retry-policy.js';

export interface AttemptEvent {
  readonly result: AttemptResult;
  readonly verdict: Verdict | 'failed';
  readonly latencyMs: number;
  readonly samples: number;
  /** 0 for the first attempt of a request. */
  readonly retry: number;
}

/** Hooks for logs and metrics; delivery itself stays free of any logging library. */
export interface DeliveryObserver {
  attempt?(event: AttemptEvent): void;
  retryScheduled?(event: { readonly delayMs: number; readonly retry: number; readonly reason: string }): void;
  gaveUp?(event: { readonly reason: string; readonly samples: number }): void;
  rejected?(event: { readonly status: number; readonly text: string; readonly samples: number }): void;
  aborted?(event: { readonly reason: string }): void;
  /**
   * A resend refused as out of order or duplicate was resolved by resending its series' newest sent sample
   * alone: `stored` when the receiver accepted that duplicate.
   */
  resendResolved?(event: {
    readonly stored: boolean;
    readonly status: number;
    readonly text: string;
    readonly samples: number;
  }): void;
  /** A request with messages on their final receive still failed retryably and is isolated by bisection. */
  lastChanceIsolation?(event: { readonly reason: string; readonly samples: number }): void;
}

/** Messages on their final SQS receive: their requests are isolated instead of returned when they keep failing. */
export interface LastChance {
  /** Whether the message (batch index) is on its final receive. */
  readonly isFinalReceive: (message: number) => boolean;
  /**
   * Epoch ms from which a request holding such a message stops waiting for retries and is bisected, so that the
   * halves still have time before the deadline.
   */
  readonly isolateFromMs: number;
}

export interface DeliveryOptions {
  readonly client: RemoteWriteClient;
  readonly authenticator: Authenticator;
  /** Encode and compress one request body. */
  readonly encode: (batch: WriteBatch) => Uint8Array;
  readonly bisect: (batch: WriteBatch) => [WriteBatch, WriteBatch] | undefined;
  readonly concurrency: number;
  /** Epoch ms after which no attempt starts and no back-off sleeps. */
  readonly deadlineMs: number;
  readonly timeoutMs: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  /** Absent: no message is on its final receive, and a request that keeps failing is returned whole. */
  readonly lastChance?: LastChance;
  readonly observer?: DeliveryObserver;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface DeliveryResult {
  /** Messages (by batch index) with at least one sample that is not written and may be on a later try. */
  readonly unwritten: ReadonlySet<number>;
  /** Messages with a sample the receiver refused on its own, with the receiver's answer. */
  readonly rejected: ReadonlyMap<number, string>;
  /** Messages on their final receive whose samples could not be written, with the last answer. */
  readonly failedAfterRetries: ReadonlyMap<number, string>;
  readonly requests: number;
  readonly retries: number;
  /** Requests that resent one sample alone to resolve a refused resend (included in `requests`). */
  readonly resolvingRequests: number;
  readonly samplesWritten: number;
  readonly seriesWritten: number;
  /** Oldest timestamp among written samples. */
  readonly oldestWrittenMs?: number;
  /** Why delivery stopped early (misconfiguration), if it did. */
  readonly abortedBecause?: string;
}
