// Per message, how many of its samples are not yet settled, and how each settled. A message is written once
// every sample naming it is written; a refused sample settles its messages as rejected; a message left with
// unwritten samples goes back to the queue, or, on its final receive, to the dead-letter queue with the last
// answer its requests got.
import type { SeriesRange, WriteBatch } from '../../pipeline/model.js';
import { SeriesNumbers } from './series-numbers.js';

/** Reason given to a message on its final receive that no request of it was answered for. */
export const NOT_SENT_REASON = 'not sent before the deadline';

export interface LedgerOutcome {
  readonly unwritten: ReadonlySet<number>;
  readonly rejected: ReadonlyMap<number, string>;
  readonly failedAfterRetries: ReadonlyMap<number, string>;
}

export class MessageLedger {
  /** Per message (batch index), its samples not yet written. */
  private readonly unwrittenSamples: Int32Array;
  private readonly rejectedMessages = new Map<number, string>();
  /** The last retryable failure seen by a request holding the message. */
  private readonly lastFailure = new Map<number, string>();
  /** 1 for each series with a written sample. */
  private readonly writtenSeries = new SeriesNumbers(0);
  seriesWritten = 0;
  samplesWritten = 0;
  oldestWrittenMs: number | undefined;

  constructor(batches: readonly WriteBatch[]) {
    let messageCount = 0;
    for (const batch of batches) {
      const last = batch.messages[batch.messages.length - 1];
      if (last !== undefined && last >= messageCount) messageCount = last + 1;
    }
    this.unwrittenSamples = new Int32Array(messageCount);
    for (const batch of batches) this.count(batch, 1);
  }

  /** The receiver stored every sample of the batch. */
  written(batch: WriteBatch): void {
    const timestamps = batch.columns.timestampMs;
    const written = this.writtenSeries.of(batch.columns);
    for (const series of batch.series) {
      if (written[series.first] === 0) {
        written[series.first] = 1;
        this.seriesWritten++;
      }
      this.samplesWritten += series.end - series.start;
      // Ranges ascend by time: the first sample is the range's oldest.
      const first = timestamps[series.start];
      if (first !== undefined && (this.oldestWrittenMs === undefined || first < this.oldestWrittenMs)) {
        this.oldestWrittenMs = first;
      }
      // In the same pass: a batch has a series per sample in a large fleet.
      this.countSeries(batch, series, -1);
    }
  }

  /** The receiver refused the batch's samples for their content: its messages can never succeed. */
  rejected(batch: WriteBatch, reason: string): void {
    for (const message of batch.messages) {
      if (!this.rejectedMessages.has(message)) this.rejectedMessages.set(message, reason);
    }
  }

  /** A request holding the batch failed retryably; remembered as the reason if its messages end unwritten. */
  failed(batch: WriteBatch, reason: string): void {
    for (const message of batch.messages) this.lastFailure.set(message, reason);
  }

  isSettled(message: number): boolean {
    return this.rejectedMessages.has(message) || (this.unwrittenSamples[message] ?? 0) <= 0;
  }

  /**
   * Where each message ends. A message with unwritten samples is returned, unless it is on its final receive:
   * then it fails after retries with the last answer (or `fallbackReason` when none of its requests had one).
   */
  outcome(isFinalReceive: (message: number) => boolean, fallbackReason = NOT_SENT_REASON): LedgerOutcome {
    const unwritten = new Set<number>();
    const failedAfterRetries = new Map<number, string>();
    this.sortUnsettled(isFinalReceive, fallbackReason, unwritten, failedAfterRetries);
    return { unwritten, rejected: this.rejectedMessages, failedAfterRetries };
  }

  /**
   * outcome()'s loop, in a method of its own: V8 compiled it on the stack before the code after it had ever run,
   * and threw that code away there at the end of every batch.
   */
  private sortUnsettled(
    isFinalReceive: (message: number) => boolean,
    fallbackReason: string,
    unwritten: Set<number>,
    failedAfterRetries: Map<number, string>,
  ): void {
    for (let message = 0; message < this.unwrittenSamples.length; message++) {
      if (this.isSettled(message)) continue;
      if (isFinalReceive(message)) {
        failedAfterRetries.set(message, this.lastFailure.get(message) ?? fallbackReason);
      } else unwritten.add(message);
    }
  }

  private count(batch: WriteBatch, delta: number): void {
    for (const series of batch.series) this.countSeries(batch, series, delta);
  }

  /** Adds `delta` to the unwritten samples of the messages of each sample of `series`. */
  private countSeries(batch: WriteBatch, series: SeriesRange, delta: number): void {
    const { messageStart, messages } = batch.columns;
    const pending = this.unwrittenSamples;
    const last = messageStart[series.end]!;
    for (let c = messageStart[series.start]!; c < last; c++) pending[messages[c]!]! += delta;
  }
}
