// Moves dead-lettered messages back to a queue: send first, delete only what SQS confirmed sent. A crash
// between the two leaves a message in both queues (a duplicate the bridge de-duplicates sample by sample),
// never in neither.
import {
  DeleteMessageBatchCommand,
  SendMessageBatchCommand,
  type Message,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { isAborted } from '../abort.js';
import { createRateLimiter } from '../rate-limiter.js';
import { batchWithRetries, MAX_BATCH_ENTRIES } from '../sqs/batch-with-retries.js';
import {
  errorKind,
  errorReason,
  messageSize,
  ownAttributes,
  receiveBatch,
  releaseMessages,
  toSourceMessage,
} from '../sqs/messages.js';
import { DEFAULT_MAX_SAMPLE_AGE_MS, sampleAge, type MessageDecoder } from './sample-age.js';

export interface ReplayFilter {
  /** Accepted `bridge-error-kind` values (`none` for messages without one); empty accepts all. */
  readonly kinds?: readonly string[];
  /** Tested against `bridge-error`. */
  readonly reason?: RegExp;
}

export interface ReplayOptions {
  readonly sqs: SQSClient;
  readonly from: string;
  readonly to: string;
  readonly dryRun?: boolean;
  /** Most messages to move (or, with dryRun, to count as movable). */
  readonly limit?: number;
  readonly ratePerSecond?: number;
  readonly filter?: ReplayFilter;
  /** Samples older than this are counted and warned about. @default 1 hour (AMP's limit) */
  readonly maxSampleAgeMs?: number;
  /** How long a received message stays hidden while it is being moved. @default 60 */
  readonly visibilityTimeoutSeconds?: number;
  /** Long-poll wait of each receive. @default 1 */
  readonly waitTimeSeconds?: number;
  /** Consecutive receives that bring nothing new before the queue counts as scanned. @default 3 */
  readonly idleReceives?: number;
  /** Batches in hand at once (receive → send → delete loops side by side). @default 1 */
  readonly concurrency?: number;
  /** Attempts per SendMessageBatch / DeleteMessageBatch entry on retryable failures. @default 3 */
  readonly attempts?: number;
  readonly decoder?: MessageDecoder;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ReplayProgress) => void;
  readonly onWarning?: (warning: string) => void;
}

export interface ReplayProgress {
  readonly scanned: number;
  readonly matched: number;
  readonly moved: number;
  readonly failed: number;
}

export interface ReplayFailure {
  readonly messageId: string;
  readonly stage: 'send' | 'delete';
  readonly code: string;
  readonly message: string;
}

export interface ReplaySummary {
  readonly dryRun: boolean;
  readonly from: string;
  readonly to: string;
  /** Distinct messages received from the dead-letter queue. */
  readonly scanned: number;
  /** Of those, the ones the filter accepted (capped by the limit). */
  readonly matched: number;
  /** Left where they were because the filter refused them. */
  readonly skipped: number;
  /** Sent to the destination and deleted from the dead-letter queue. */
  readonly moved: number;
  /** Not sent: still in the dead-letter queue. */
  readonly sendFailed: number;
  /** Sent, but the delete failed: now in both queues (the bridge drops the duplicate samples). */
  readonly sentNotDeleted: number;
  /** Matched messages whose oldest sample is older than maxSampleAgeMs. */
  readonly tooOld: number;
  readonly maxSampleAgeMs: number;
  /** Of tooOld, how many were judged by SentTimestamp because the body could not be decoded. */
  readonly tooOldBySentTimestamp: number;
  readonly interrupted: boolean;
  readonly elapsedMs: number;
  /** Messages per second moved (or, with dryRun, matched). */
  readonly messagesPerSecond: number;
  /** The first failures, for the operator to read. */
  readonly failures: readonly ReplayFailure[];
}

const MAX_BATCH_BYTES = 1_048_576;
const MAX_REPORTED_FAILURES = 20;

export function matchesFilter(message: Message, filter: ReplayFilter | undefined): boolean {
  if (filter === undefined) return true;
  if (filter.kinds !== undefined && filter.kinds.length > 0 && !filter.kinds.includes(errorKind(message))) {
    return false;
  }
  if (filter.reason !== undefined && !filter.reason.test(errorReason(message))) return false;
  return true;
}

interface ReplayCounts {
  scanned: number;
  matched: number;
  skipped: number;
  moved: number;
  sendFailed: number;
  sentNotDeleted: number;
  tooOld: number;
  tooOldBySentTimestamp: number;
}

/** One replay run: its options, the ids it has seen, its counts, and the workers that share them. */
class ReplayRun {
  private readonly dryRun: boolean;
  private readonly limit: number;
  private readonly maxSampleAgeMs: number;
  private readonly idleReceives: number;
  private readonly attempts: number;
  private readonly limiter: ReturnType<typeof createRateLimiter>;
  private readonly started = Date.now();
  private readonly seen = new Set<string>();
  private readonly failures: ReplayFailure[] = [];
  private readonly counts: ReplayCounts = {
    scanned: 0,
    matched: 0,
    skipped: 0,
    moved: 0,
    sendFailed: 0,
    sentNotDeleted: 0,
    tooOld: 0,
    tooOldBySentTimestamp: 0,
  };
  private idle = 0;
  private finished = false;

  constructor(private readonly options: ReplayOptions) {
    this.dryRun = options.dryRun ?? false;
    this.limit = options.limit ?? Number.POSITIVE_INFINITY;
    this.maxSampleAgeMs = options.maxSampleAgeMs ?? DEFAULT_MAX_SAMPLE_AGE_MS;
    this.idleReceives = options.idleReceives ?? 3;
    this.attempts = options.attempts ?? 3;
    this.limiter = createRateLimiter(options.ratePerSecond);
  }

  async run(): Promise<ReplaySummary> {
    const workers = Math.max(1, this.options.concurrency ?? 1);
    await Promise.all(Array.from({ length: workers }, () => this.worker()));
    return this.summary();
  }

  private readonly recordFailure = (failure: ReplayFailure): void => {
    if (this.failures.length < MAX_REPORTED_FAILURES) this.failures.push(failure);
  };

  private progress(): void {
    const c = this.counts;
    this.options.onProgress?.({
      scanned: c.scanned,
      matched: c.matched,
      moved: c.moved,
      failed: c.sendFailed + c.sentNotDeleted,
    });
  }

  private async worker(): Promise<void> {
    const { sqs, from, signal } = this.options;
    while (!this.finished && this.counts.matched < this.limit && !isAborted(signal)) {
      const room = Math.min(10, this.limit - this.counts.matched);
      // Paced before the receive, so no message waits in hand (hidden) for its turn.
      if (!this.dryRun) await this.limiter.take(room, signal);
      const received = await receiveBatch(
        sqs,
        from,
        {
          max: room,
          visibilityTimeoutSeconds: this.options.visibilityTimeoutSeconds ?? 60,
          waitTimeSeconds: this.options.waitTimeSeconds ?? 1,
        },
        signal,
      );
      if (received === undefined) break;
      await this.handle(received);
    }
  }

  private async handle(received: readonly Message[]): Promise<void> {
    const { sqs, from } = this.options;
    const fresh = received.filter((m) => m.MessageId !== undefined && !this.seen.has(m.MessageId));
    const repeats = received.filter((m) => m.MessageId === undefined || this.seen.has(m.MessageId));
    // A repeat is a message this run already handled (skipped, failed, or sent but not deleted):
    // sending it again would duplicate it, so it only goes back.
    if (repeats.length > 0) await releaseMessages(sqs, from, repeats);
    if (fresh.length === 0) {
      this.idle += 1;
      if (this.idle >= this.idleReceives) this.finished = true;
      return;
    }
    this.idle = 0;
    for (const m of fresh) this.seen.add(m.MessageId as string);
    this.counts.scanned += fresh.length;

    const accepted: Message[] = [];
    const refused: Message[] = [];
    for (const m of fresh) {
      const room = this.counts.matched + accepted.length < this.limit;
      (matchesFilter(m, this.options.filter) && room ? accepted : refused).push(m);
    }
    this.counts.skipped += refused.length;
    this.counts.matched += accepted.length;
    if (refused.length > 0) await releaseMessages(sqs, from, refused);
    this.checkAges(accepted);
    if (this.dryRun) await releaseMessages(sqs, from, accepted);
    else if (accepted.length > 0) await this.move(accepted);
    this.progress();
  }

  /** Counts and warns about messages whose samples the receiver will discard as too old. */
  private checkAges(accepted: readonly Message[]): void {
    const now = Date.now();
    let batchTooOld = 0;
    for (const m of accepted) {
      const age = sampleAge(toSourceMessage(m, now), this.options.decoder);
      if (now - age.oldestSampleMs > this.maxSampleAgeMs) {
        batchTooOld += 1;
        if (age.source === 'sent-timestamp') this.counts.tooOldBySentTimestamp += 1;
      }
    }
    if (batchTooOld === 0) return;
    this.counts.tooOld += batchTooOld;
    this.options.onWarning?.(
      `${batchTooOld} of ${accepted.length} messages ${this.dryRun ? 'that would be sent' : 'about to be sent'} carry samples older than ` +
        `${formatDuration(this.maxSampleAgeMs)}; AMP discards such samples (${this.counts.tooOld} so far)`,
    );
  }

  /** Send, then delete exactly what SQS confirmed sent. */
  private async move(accepted: readonly Message[]): Promise<void> {
    const { sqs, from, to } = this.options;
    const sent = await sendAll(sqs, to, accepted, this.attempts, this.recordFailure);
    const unsent = accepted.filter((m) => !sent.has(m));
    this.counts.sendFailed += unsent.length;
    // Unsent messages go back at once so a later run (or the next receive of this one) finds them.
    if (unsent.length > 0) await releaseMessages(sqs, from, unsent).catch(() => 0);
    const deleted = await deleteAll(sqs, from, [...sent], this.attempts, this.recordFailure);
    this.counts.moved += deleted;
    this.counts.sentNotDeleted += sent.size - deleted;
  }

  private summary(): ReplaySummary {
    const elapsedMs = Date.now() - this.started;
    const done = this.dryRun ? this.counts.matched : this.counts.moved;
    return {
      dryRun: this.dryRun,
      from: this.options.from,
      to: this.options.to,
      ...this.counts,
      maxSampleAgeMs: this.maxSampleAgeMs,
      interrupted: isAborted(this.options.signal),
      elapsedMs,
      messagesPerSecond: elapsedMs > 0 ? Math.round((done / elapsedMs) * 1000 * 10) / 10 : 0,
      failures: this.failures,
    };
  }
}

export function replay(options: ReplayOptions): Promise<ReplaySummary> {
  return new ReplayRun(options).run();
}

/** Sends every message, retrying retryable entry failures; returns the ones SQS confirmed. */
function sendAll(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly Message[],
  attempts: number,
  recordFailure: (failure: ReplayFailure) => void,
): Promise<Set<Message>> {
  const fifo = queueUrl.endsWith('.fifo');
  const entryFor = (m: Message, id: string): SendMessageBatchRequestEntry => ({
    Id: id,
    MessageBody: m.Body ?? '',
    MessageAttributes: ownAttributes(m),
    ...(fifo
      ? {
          MessageGroupId: m.Attributes?.MessageGroupId ?? 'replay',
          // Retries of this send must not enqueue the message twice.
          MessageDeduplicationId: m.MessageId,
        }
      : {}),
  });
  return batchWithRetries(messages, {
    attempts,
    chunks: sizeBoundChunks,
    call: (entries) =>
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: entries.map(({ id, item }) => entryFor(item, id)),
        }),
      ),
    onFailure: (m, failure) => recordFailure({ messageId: m.MessageId ?? '', stage: 'send', ...failure }),
  });
}

/** Deletes the messages from the dead-letter queue; returns how many SQS confirmed deleted. */
async function deleteAll(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly Message[],
  attempts: number,
  recordFailure: (failure: ReplayFailure) => void,
): Promise<number> {
  const deleted = await batchWithRetries(messages, {
    attempts,
    call: (entries) =>
      sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: entries.map(({ id, item }) => ({ Id: id, ReceiptHandle: item.ReceiptHandle })),
        }),
      ),
    onFailure: (m, failure) => recordFailure({ messageId: m.MessageId ?? '', stage: 'delete', ...failure }),
  });
  return deleted.size;
}

/** Batches of at most 10 entries and SQS's 1 MiB per request. */
function sizeBoundChunks(messages: readonly Message[]): Message[][] {
  const chunks: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = messageSize(m.Body ?? '', ownAttributes(m));
    if (current.length > 0 && (current.length === MAX_BATCH_ENTRIES || bytes + size > MAX_BATCH_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}
