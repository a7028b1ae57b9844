// Sends a planned batch to the receiver: requests run concurrently up to a limit but never ahead of the
// requests they depend on (per-series order across requests), every request is retried while retrying can
// help and time allows, and a request the receiver refuses for its content is bisected until the refused
// samples stand alone. The result says, per message, whether all its samples were written.
import type { WriteBatch } from '../pipeline/model.js';
import { AuthError, type Authenticator } from './auth/authenticator.js';
import type { AttemptResult, RemoteWriteClient } from './remote-write-client.js';
import { classifyStatus, nextDelayMs, parseRetryAfterMs, type Verdict } from './retry-policy.js';

/** An attempt is not started with less time than this left: it could not finish anyway. */
export const MIN_ATTEMPT_MS = 50;

/**
 * How receivers with no out-of-order window refuse samples they already hold: an exact duplicate is accepted
 * only for the newest sample of its series, so the resend of a request that was stored is refused with these.
 */
export const ALREADY_STORED_REFUSAL = /out of order|duplicate sample for timestamp|too old/i;

export interface AttemptEvent {
  readonly result: AttemptResult;
  readonly verdict: Verdict | 'failed';
  readonly latencyMs: number;
  readonly samples: number;
  /** 0 for the first attempt of a request. */
  readonly retry: number;
}

/** Hooks for logs and metrics; delivery itself stays free of Powertools. */
export interface DeliveryObserver {
  attempt?(event: AttemptEvent): void;
  retryScheduled?(event: { readonly delayMs: number; readonly retry: number; readonly reason: string }): void;
  gaveUp?(event: { readonly reason: string; readonly samples: number }): void;
  rejected?(event: { readonly status: number; readonly text: string; readonly samples: number }): void;
  aborted?(event: { readonly reason: string }): void;
  /** A resend after an attempt with an unknown outcome was refused as out of order; counted as written. */
  resendRefusedAsStored?(event: {
    readonly status: number;
    readonly text: string;
    readonly samples: number;
  }): void;
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
  readonly requests: number;
  readonly retries: number;
  readonly samplesWritten: number;
  readonly seriesWritten: number;
  /** Oldest timestamp among written samples. */
  readonly oldestWrittenMs?: number;
  /** Why delivery stopped early (misconfiguration), if it did. */
  readonly abortedBecause?: string;
}

type BatchState = 'pending' | 'running' | 'done' | 'failed';

type SendOutcome =
  | { readonly kind: 'accepted' }
  | { readonly kind: 'failed' }
  | { readonly kind: 'refused'; readonly status: number; readonly text: string };

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function describe(result: AttemptResult): string {
  switch (result.kind) {
    case 'response':
      return `HTTP ${result.status}${result.text === '' ? '' : `: ${result.text}`}`;
    case 'timeout':
      return `timed out after ${result.timeoutMs} ms`;
    case 'network-error':
      return `network error: ${result.message}`;
  }
}

export async function deliver(
  batches: readonly WriteBatch[],
  after: ReadonlyArray<readonly number[]>,
  options: DeliveryOptions,
): Promise<DeliveryResult> {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? defaultSleep;
  const observer = options.observer ?? {};

  // How many samples naming each message are still unwritten; a message is written when it reaches 0. Messages
  // are batch indexes, so an array indexed by them does per sample what a Map did with hashing.
  let messageCount = 0;
  for (const batch of batches) {
    const last = batch.messages[batch.messages.length - 1];
    if (last !== undefined && last >= messageCount) messageCount = last + 1;
  }
  const pending = new Int32Array(messageCount);
  /** Adds `delta` to the pending count of every message named by a sample of the batch. */
  const countMessages = (batch: WriteBatch, delta: number): void => {
    const { messageStart, messages } = batch.columns;
    const ranges = batch.series;
    for (let r = 0; r < ranges.length; r++) {
      const series = ranges[r]!;
      const last = messageStart[series.end]!;
      for (let c = messageStart[series.start]!; c < last; c++) pending[messages[c]!]! += delta;
    }
  };
  for (const batch of batches) countMessages(batch, 1);
  const rejected = new Map<number, string>();
  // Every range of one series shares its encoded labels (SeriesIdentity.encodedLabels, interned per label set):
  // counting those objects counts label sets, with no key string built per series.
  const writtenSeries = new Set<Uint8Array>();
  let requests = 0;
  let retries = 0;
  let samplesWritten = 0;
  let oldestWrittenMs: number | undefined;
  let abortedBecause: string | undefined;

  const abort = (reason: string): void => {
    if (abortedBecause !== undefined) return;
    abortedBecause = reason;
    observer.aborted?.({ reason });
  };

  const accept = (batch: WriteBatch): void => {
    const timestamps = batch.columns.timestampMs;
    const ranges = batch.series;
    for (let r = 0; r < ranges.length; r++) {
      const series = ranges[r]!;
      writtenSeries.add(series.encodedLabels);
      samplesWritten += series.end - series.start;
      // Ranges are ascending by time: the first sample is the range's oldest.
      const first = timestamps[series.start];
      if (first !== undefined && (oldestWrittenMs === undefined || first < oldestWrittenMs)) {
        oldestWrittenMs = first;
      }
    }
    countMessages(batch, -1);
  };

  const refuse = (batch: WriteBatch, reason: string): void => {
    for (const message of batch.messages) if (!rejected.has(message)) rejected.set(message, reason);
  };

  async function send(batch: WriteBatch): Promise<SendOutcome> {
    const body = options.encode(batch);
    let retry = 0;
    let refreshedCredentials = false;
    // Set once an attempt timed out or lost its connection: the receiver may have stored the request.
    let mayBeStored = false;
    for (;;) {
      if (abortedBecause !== undefined) return { kind: 'failed' };
      const left = options.deadlineMs - now();
      if (left < MIN_ATTEMPT_MS) {
        observer.gaveUp?.({ reason: 'deadline reached before the attempt', samples: batch.sampleCount });
        return { kind: 'failed' };
      }
      const timeoutMs = Math.min(options.timeoutMs, left);
      const started = now();
      let result: AttemptResult;
      try {
        requests += 1;
        result = await options.client.send(body, timeoutMs);
      } catch (error) {
        requests -= 1;
        if (error instanceof AuthError) {
          abort(error.message);
          return { kind: 'failed' };
        }
        throw error;
      }
      const verdict: Verdict = result.kind === 'response' ? classifyStatus(result.status) : 'retry';
      observer.attempt?.({
        result,
        verdict,
        latencyMs: now() - started,
        samples: batch.sampleCount,
        retry,
      });
      if (verdict === 'accepted') return { kind: 'accepted' };
      if (result.kind !== 'response') mayBeStored = true;
      else if (mayBeStored && result.status === 400 && ALREADY_STORED_REFUSAL.test(result.text)) {
        // The earlier attempt was stored and the resend meets its own samples; bisecting would dead-letter
        // messages that are written. A genuine out-of-order sample in it is lost either way.
        observer.resendRefusedAsStored?.({
          status: result.status,
          text: result.text,
          samples: batch.sampleCount,
        });
        return { kind: 'accepted' };
      }
      if (result.kind === 'response' && (verdict === 'reject' || verdict === 'split')) {
        return { kind: 'refused', status: result.status, text: result.text };
      }
      if (verdict === 'misconfigured') {
        const status = result.kind === 'response' ? result.status : 0;
        if (
          (status === 401 || status === 403) &&
          !refreshedCredentials &&
          options.authenticator.invalidate()
        ) {
          refreshedCredentials = true;
          continue;
        }
        abort(`receiver answered ${describe(result)}`);
        return { kind: 'failed' };
      }
      const retryAfterMs =
        result.kind === 'response' ? parseRetryAfterMs(result.retryAfter, now()) : undefined;
      const delayMs = nextDelayMs(retry, retryAfterMs, {
        baseMs: options.retryBaseDelayMs,
        maxMs: options.retryMaxDelayMs,
        random,
      });
      if (now() + delayMs + MIN_ATTEMPT_MS > options.deadlineMs) {
        observer.gaveUp?.({
          reason: `deadline too close to wait ${delayMs} ms after ${describe(result)}`,
          samples: batch.sampleCount,
        });
        return { kind: 'failed' };
      }
      observer.retryScheduled?.({ delayMs, retry, reason: describe(result) });
      retries += 1;
      retry += 1;
      await sleep(delayMs);
    }
  }

  /** 'done' when every sample is written or refused for good; 'failed' when some may succeed later. */
  async function deliverBatch(batch: WriteBatch): Promise<'done' | 'failed'> {
    const outcome = await send(batch);
    if (outcome.kind === 'accepted') {
      accept(batch);
      return 'done';
    }
    if (outcome.kind === 'failed') return 'failed';
    const halves = options.bisect(batch);
    if (halves === undefined) {
      const reason = `receiver answered HTTP ${outcome.status}: ${outcome.text}`;
      observer.rejected?.({ status: outcome.status, text: outcome.text, samples: batch.sampleCount });
      refuse(batch, reason);
      return 'done';
    }
    // Left holds the older samples of every series: it goes first, and right only if left is settled, or
    // right's newer samples would make left's retry out of order.
    if ((await deliverBatch(halves[0])) === 'failed') return 'failed';
    return deliverBatch(halves[1]);
  }

  const state: BatchState[] = batches.map(() => 'pending');
  const running = new Set<Promise<void>>();
  const concurrency = Math.max(1, options.concurrency);
  for (;;) {
    for (let index = 0; index < batches.length && running.size < concurrency; index += 1) {
      if (state[index] !== 'pending') continue;
      const prerequisites = after[index] ?? [];
      if (prerequisites.some((before) => state[before] === 'failed')) {
        state[index] = 'failed';
        continue;
      }
      if (!prerequisites.every((before) => state[before] === 'done')) continue;
      if (abortedBecause !== undefined) {
        state[index] = 'failed';
        continue;
      }
      state[index] = 'running';
      const task: Promise<void> = deliverBatch(batches[index] as WriteBatch).then(
        (result) => {
          state[index] = result;
          running.delete(task);
        },
        (error: unknown) => {
          state[index] = 'failed';
          running.delete(task);
          throw error;
        },
      );
      running.add(task);
    }
    if (running.size === 0) break;
    try {
      await Promise.race(running);
    } catch (error) {
      // A bug, not a receiver answer. The other requests stop at their next step (no observer call: this is
      // no misconfiguration) and settle before deliver rejects, so none keeps sending after the handler has
      // returned the batch to the queue.
      abortedBecause ??= 'stopped after an unexpected error';
      await Promise.allSettled(running);
      throw error;
    }
  }

  const unwritten = new Set<number>();
  for (let message = 0; message < messageCount; message++) {
    if (pending[message]! > 0 && !rejected.has(message)) unwritten.add(message);
  }
  return {
    unwritten,
    rejected,
    requests,
    retries,
    samplesWritten,
    seriesWritten: writtenSeries.size,
    ...(oldestWrittenMs === undefined ? {} : { oldestWrittenMs }),
    ...(abortedBecause === undefined ? {} : { abortedBecause }),
  };
}
