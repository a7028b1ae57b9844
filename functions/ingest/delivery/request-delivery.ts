// Delivers one planned request: sends it with retries, bisects it when the receiver refuses its content (or,
// on a message's final receive, when it keeps failing retryably), and resolves resends the receiver refuses as
// already held. The MessageLedger records how every sample settled. See docs/architecture/delivery.md.
import { batchOf, subRange } from '../../pipeline/write-batch.js';
import type { WriteBatch } from '../../pipeline/model.js';
import { AuthError } from '../auth/authenticator.js';
import type { AttemptResult } from '../remote-write-client.js';
import { classifyStatus, parseRetryAfterMs, type Verdict } from '../retry-policy.js';
import { MessageLedger, NOT_SENT_REASON } from './ledger.js';
import { SeriesNumbers } from './series-numbers.js';
import type { RequestEnd } from './scheduler.js';
import {
  MIN_ATTEMPT_MS,
  RecoverableError,
  sendWithRetry,
  type AttemptError,
  type GaveUp,
  type RetryClock,
} from './send-with-retry.js';
import type { DeliveryObserver, DeliveryOptions, DeliveryResult } from './types.js';

/**
 * How receivers refuse a sample they hold a newer one of (or the same timestamp with another value). On a
 * resend this may mean an earlier attempt stored it; resolveResend finds out.
 */
export const ALREADY_STORED_REFUSAL = /out of order|duplicate sample for timestamp|too old/i;

/**
 * Time the invocation may spend retrying single samples that last-chance isolation could not write: enough for
 * a Retry-After of 1 s or a short burst of 503s, small enough that an outage cannot use up the invocation.
 */
export const LAST_PIECE_RETRY_BUDGET_MS = 2000;

/**
 * Whether a 5xx names the samples' content rather than the receiver's state, as Prometheus with an out-of-order
 * window answers 500 "too old sample": sending the same request again cannot change it.
 */
function namesContent(status: number, text: string): boolean {
  return status >= 500 && ALREADY_STORED_REFUSAL.test(text);
}

/**
 * The receiver refused the request for its content (4xx, or a 5xx that names it: verdict 'retry') or its size
 * (413).
 */
interface Refusal {
  readonly kind: 'refused';
  readonly status: number;
  readonly text: string;
  readonly verdict: Verdict;
  /** 0 when the first attempt of this send was refused. */
  readonly retry: number;
}

/** Delivery stopped: credentials or receiver misconfigured. */
interface Aborted {
  readonly kind: 'aborted';
}

type SendOutcome = Refusal | Aborted | GaveUp | undefined;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A receiver's answer as reasons quote it: `HTTP 500: too old sample`. */
function describeResponse(status: number, text: string): string {
  return `HTTP ${status}${text === '' ? '' : `: ${text}`}`;
}

export function describeAttempt(result: AttemptResult): string {
  switch (result.kind) {
    case 'response':
      return describeResponse(result.status, result.text);
    case 'timeout':
      return `timed out after ${result.timeoutMs} ms`;
    case 'network-error':
      return `network error: ${result.message}`;
  }
}

/** The state of one deliver() call: its ledger, counters, and what it learnt about series it resent. */
export class BatchDelivery {
  readonly ledger: MessageLedger;
  requests = 0;
  retries = 0;
  resolvingRequests = 0;
  abortedBecause: string | undefined;
  private readonly clock: RetryClock;
  private readonly observer: DeliveryObserver;
  /** Per series, the column index of the newest sample sent so far (-1: none). */
  private readonly newestSent = new SeriesNumbers(-1);
  /** Per series, the newest sample that resending alone found stored (-1: none). */
  private readonly newestFoundStored = new SeriesNumbers(-1);
  /** Samples (column indexes) that, resent alone, were refused for their own content. */
  private readonly refusedWhileResolving = new Set<number>();
  /** What retryLastPiece may still spend, in ms, on this invocation's last pieces. */
  private lastPieceBudgetMs = LAST_PIECE_RETRY_BUDGET_MS;

  constructor(
    batches: readonly WriteBatch[],
    private readonly options: DeliveryOptions,
  ) {
    this.ledger = new MessageLedger(batches);
    const random = options.random ?? Math.random;
    this.clock = { now: options.now ?? Date.now, sleep: options.sleep ?? defaultSleep, random };
    this.observer = options.observer ?? {};
  }

  /** Stops delivery; `silently` for a bug rather than a misconfiguration worth an observer call. */
  abort(reason: string, silently = false): void {
    if (this.abortedBecause !== undefined) return;
    this.abortedBecause = reason;
    if (!silently) this.observer.aborted?.({ reason });
  }

  deliverRequest(batch: WriteBatch): Promise<RequestEnd> {
    return this.deliverPiece(batch, false, false);
  }

  result(): DeliveryResult {
    const isFinalReceive = this.options.lastChance?.isFinalReceive ?? (() => false);
    const ends = this.ledger.outcome(isFinalReceive, this.abortedBecause ?? NOT_SENT_REASON);
    const { oldestWrittenMs } = this.ledger;
    return {
      ...ends,
      requests: this.requests,
      retries: this.retries,
      resolvingRequests: this.resolvingRequests,
      samplesWritten: this.ledger.samplesWritten,
      seriesWritten: this.ledger.seriesWritten,
      ...(oldestWrittenMs === undefined ? {} : { oldestWrittenMs }),
      ...(this.abortedBecause === undefined ? {} : { abortedBecause: this.abortedBecause }),
    };
  }

  /**
   * @param resent whether the piece's samples were in an earlier attempt (a piece of a bisection)
   * @param isolating whether the piece comes from last-chance isolation: one attempt, no waiting
   */
  private async deliverPiece(piece: WriteBatch, resent: boolean, isolating: boolean): Promise<RequestEnd> {
    const lastChance = this.holdsFinalReceive(piece);
    const retryUntilMs =
      lastChance || isolating
        ? Math.min(this.options.lastChance?.isolateFromMs ?? Infinity, this.options.deadlineMs)
        : this.options.deadlineMs;
    const outcome = await this.send(piece, retryUntilMs);
    if (outcome === undefined) {
      this.ledger.written(piece);
      return 'settled';
    }
    if (outcome.kind === 'aborted') return 'unsettled';
    if (outcome.kind === 'gave-up') return this.afterGivingUp(piece, outcome, lastChance);
    return this.afterRefusal(piece, outcome, resent || outcome.retry > 0, isolating);
  }

  /** The receiver refused the piece for its content: resolve a refused resend, or bisect to find the culprit. */
  private afterRefusal(
    piece: WriteBatch,
    outcome: Refusal,
    resend: boolean,
    isolating: boolean,
  ): Promise<RequestEnd> {
    if (outcome.verdict === 'retry') return this.afterServerRefusal(piece, outcome, isolating);
    if (
      outcome.verdict === 'reject' &&
      resend &&
      piece.sampleCount === 1 &&
      ALREADY_STORED_REFUSAL.test(outcome.text)
    ) {
      return this.resolveResend(piece, outcome);
    }
    const halves = this.options.bisect(piece);
    if (halves === undefined) {
      this.reject(piece, outcome);
      return Promise.resolve('settled');
    }
    return this.deliverHalves(halves, isolating);
  }

  /**
   * A 5xx that names the content: bisected at once rather than retried until the message's final receive, so the
   * rest of the request is written now. The single sample it comes down to is a server error, not a refusal: its
   * message returns to the queue with the answer, and is dead-lettered with it on its final receive. That sample
   * counts as settled all the same, so newer samples of its series may be sent: no retry of it can succeed, and
   * holding them back would leave messages on their final receive unsent. Resends are not resolved here as for a
   * 4xx: "too old sample" (the out-of-order window's answer) says the sample is older than the window, not that
   * the receiver holds a newer sample of its series, so a 2xx for that newer sample would prove nothing.
   */
  private afterServerRefusal(piece: WriteBatch, outcome: Refusal, isolating: boolean): Promise<RequestEnd> {
    const answer = describeResponse(outcome.status, outcome.text);
    // Named before bisecting, so a final-receive message whose pieces the deadline leaves unsent still gets it.
    this.ledger.failed(piece, `last answer: ${answer}`);
    const halves = this.options.bisect(piece);
    if (halves !== undefined) return this.deliverHalves(halves, isolating);
    this.observer.gaveUp?.({ reason: answer, samples: piece.sampleCount });
    return Promise.resolve('settled');
  }

  /** Left holds the older samples of every series: it goes first, and right only once left is settled. */
  private async deliverHalves(halves: [WriteBatch, WriteBatch], isolating: boolean): Promise<RequestEnd> {
    if ((await this.deliverPiece(halves[0], true, isolating)) === 'unsettled') return 'unsettled';
    return this.deliverPiece(halves[1], true, isolating);
  }

  /**
   * The request still failed retryably when time ran out. Before a message's final receive that returns it to
   * the queue. On its final receive the request is bisected like a refused one, so that only the messages whose
   * samples still fail are dead-lettered; each piece gets one attempt.
   */
  private async afterGivingUp(piece: WriteBatch, outcome: GaveUp, lastChance: boolean): Promise<RequestEnd> {
    if (outcome.stopped) return 'unsettled';
    this.observer.gaveUp?.({ reason: outcome.reason, samples: piece.sampleCount });
    const answer = outcome.lastError?.reason;
    if (answer !== undefined) this.ledger.failed(piece, `last answer: ${answer}`);
    if (lastChance && answer !== undefined) {
      const halves = this.options.bisect(piece);
      // (A 5xx that names the content never gets here: send() returns it as a refusal.)
      if (halves === undefined) return this.retryLastPiece(piece);
      if (this.options.deadlineMs - this.clock.now() >= 2 * MIN_ATTEMPT_MS) {
        this.observer.lastChanceIsolation?.({ reason: answer, samples: piece.sampleCount });
        return this.deliverHalves(halves, true);
      }
    }
    return this.endOnFinalReceive(piece);
  }

  /**
   * Isolation came down to one sample of a final-receive message and it still failed retryably. The rest of its
   * message is often written by now (a burst of 503s or a 429 ends at the last piece it hits, a lost answer
   * hides a stored sample), so it is retried from a small budget shared by the invocation before its message
   * is dead-lettered; in place, so no newer sample of its series is sent first.
   */
  private async retryLastPiece(piece: WriteBatch): Promise<RequestEnd> {
    const started = this.clock.now();
    const retryUntilMs = Math.min(started + this.lastPieceBudgetMs, this.options.deadlineMs);
    if (retryUntilMs - started < MIN_ATTEMPT_MS) return this.endOnFinalReceive(piece);
    const outcome = await this.send(piece, retryUntilMs);
    this.lastPieceBudgetMs -= this.clock.now() - started;
    if (outcome === undefined) {
      this.ledger.written(piece);
      return 'settled';
    }
    if (outcome.kind === 'refused') return this.afterRefusal(piece, outcome, true, true);
    if (outcome.kind === 'gave-up' && !outcome.stopped && outcome.lastError !== undefined)
      this.ledger.failed(piece, `last answer: ${outcome.lastError.reason}`);
    return outcome.kind === 'aborted' || outcome.stopped ? 'unsettled' : this.endOnFinalReceive(piece);
  }

  /** Settled when every message of the piece is settled or will be dead-lettered on its final receive. */
  private endOnFinalReceive(piece: WriteBatch): RequestEnd {
    const isFinalReceive = this.options.lastChance?.isFinalReceive;
    if (isFinalReceive === undefined) return 'unsettled';
    return piece.messages.every((m) => this.ledger.isSettled(m) || isFinalReceive(m))
      ? 'settled'
      : 'unsettled';
  }

  /**
   * A single sample, sent before in this invocation, now refused as out of order or duplicate: the receiver holds
   * a newer sample of its series. Resending the newest sample of the series sent so far, alone, tells whose: a
   * receiver accepts an exact duplicate of its newest sample, so 2xx means an earlier attempt stored the series
   * up to there, this sample included; a refusal as out of order means the newer sample is not the bridge's, and
   * this one was never stored. A sample refused for its own content is passed over for the next older one.
   */
  private async resolveResend(piece: WriteBatch, refusal: Refusal): Promise<RequestEnd> {
    const stored = await this.isStoredByEarlierAttempt(piece);
    if (typeof stored !== 'boolean') {
      if (stored.kind === 'aborted' || stored.stopped) return 'unsettled';
      const answer = stored.lastError?.reason;
      if (answer !== undefined) this.ledger.failed(piece, `last answer: ${answer}`);
      return this.endOnFinalReceive(piece);
    }
    this.observer.resendResolved?.({
      stored,
      status: refusal.status,
      text: refusal.text,
      samples: piece.sampleCount,
    });
    if (stored) this.ledger.written(piece);
    else this.reject(piece, refusal);
    return 'settled';
  }

  /** Whether the receiver's newest sample of the series is one the bridge sent after `series.start`. */
  private async isStoredByEarlierAttempt(piece: WriteBatch): Promise<boolean | Aborted | GaveUp> {
    const series = piece.series[0]!;
    const columns = piece.columns;
    if (this.newestFoundStored.get(columns, series) > series.start) return true;
    for (let candidate = this.newestSent.get(columns, series); candidate > series.start; candidate--) {
      if (this.refusedWhileResolving.has(candidate)) continue;
      const newestAlone = batchOf(piece.columns, [subRange(series, candidate, candidate + 1)]);
      const sentBefore = this.requests;
      const outcome = await this.send(newestAlone, this.options.deadlineMs);
      this.resolvingRequests += this.requests - sentBefore;
      if (outcome === undefined) {
        this.newestFoundStored.set(columns, series, candidate);
        return true;
      }
      if (outcome.kind !== 'refused') return outcome;
      if (ALREADY_STORED_REFUSAL.test(outcome.text)) return false;
      this.refusedWhileResolving.add(candidate);
    }
    return false;
  }

  private reject(piece: WriteBatch, refusal: Refusal): void {
    const { status, text } = refusal;
    this.observer.rejected?.({ status, text, samples: piece.sampleCount });
    this.ledger.rejected(piece, `receiver answered HTTP ${status}: ${text}`);
  }

  private holdsFinalReceive(piece: WriteBatch): boolean {
    const isFinalReceive = this.options.lastChance?.isFinalReceive;
    return isFinalReceive !== undefined && piece.messages.some(isFinalReceive);
  }

  private noteSent(batch: WriteBatch): void {
    const newest = this.newestSent.of(batch.columns);
    for (const series of batch.series)
      if (series.end - 1 > newest[series.first]!) newest[series.first] = series.end - 1;
  }

  /** One request with retries until `retryUntilMs`; undefined when the receiver accepted it. */
  private send(batch: WriteBatch, retryUntilMs: number): Promise<SendOutcome> {
    const body = this.options.encode(batch);
    this.noteSent(batch);
    let refreshedCredentials = false;
    const attempt = async (
      retry: number,
      timeLeftMs: number,
    ): Promise<AttemptError<Refusal | Aborted> | undefined> => {
      let left = timeLeftMs;
      for (;;) {
        const result = await this.attemptOnce(body, Math.min(this.options.timeoutMs, left), batch, retry);
        if (result === undefined) return { kind: 'aborted' };
        const verdict: Verdict = result.kind === 'response' ? classifyStatus(result.status) : 'retry';
        if (verdict === 'accepted') return undefined;
        if (result.kind !== 'response') return new RecoverableError(describeAttempt(result));
        if (verdict === 'reject' || verdict === 'split') {
          return { kind: 'refused', status: result.status, text: result.text, verdict, retry };
        }
        if (verdict === 'retry') {
          if (namesContent(result.status, result.text))
            return { kind: 'refused', status: result.status, text: result.text, verdict, retry };
          const retryAfterMs = parseRetryAfterMs(result.retryAfter, this.clock.now());
          return new RecoverableError(describeAttempt(result), retryAfterMs);
        }
        const unauthorised = result.status === 401 || result.status === 403;
        left = this.options.deadlineMs - this.clock.now();
        if (
          !unauthorised ||
          refreshedCredentials ||
          left < MIN_ATTEMPT_MS ||
          !this.options.authenticator.invalidate()
        ) {
          this.abort(`receiver answered ${describeAttempt(result)}`);
          return { kind: 'aborted' };
        }
        refreshedCredentials = true;
      }
    };
    return sendWithRetry(attempt, {
      clock: this.clock,
      baseDelayMs: this.options.retryBaseDelayMs,
      maxDelayMs: this.options.retryMaxDelayMs,
      deadlineMs: this.options.deadlineMs,
      retryUntilMs,
      stopped: () => this.abortedBecause !== undefined,
      onRetry: (event) => {
        this.retries += 1;
        this.observer.retryScheduled?.(event);
      },
    });
  }

  /** One HTTP attempt, observed; undefined when credentials could not be obtained (delivery aborted). */
  private async attemptOnce(
    body: Uint8Array,
    timeoutMs: number,
    batch: WriteBatch,
    retry: number,
  ): Promise<AttemptResult | undefined> {
    const started = this.clock.now();
    let result: AttemptResult;
    try {
      this.requests += 1;
      result = await this.options.client.send(body, timeoutMs);
    } catch (error) {
      this.requests -= 1;
      if (error instanceof AuthError) {
        this.abort(error.message);
        return undefined;
      }
      throw error;
    }
    const verdict: Verdict = result.kind === 'response' ? classifyStatus(result.status) : 'retry';
    const latencyMs = this.clock.now() - started;
    this.observer.attempt?.({ result, verdict, latencyMs, samples: batch.sampleCount, retry });
    return result;
  }
}
