// One SQS batch in, one SQSBatchResponse out. Every message ends in exactly one place: written to the
// receiver, dead-lettered with a reason, or returned in batchItemFailures for SQS to redeliver. Bad input never
// throws; an unexpected bug returns the whole batch to SQS rather than acknowledging anything unwritten.
import { MetricUnit } from './emf-metrics.js';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  bisectBatch,
  compressBlock,
  encodeWriteRequestView,
  planBatch,
  RequestEncoder,
  SampleNormaliser,
  seriesCacheLimitsFor,
  type BatchPlan,
  type PipelineConfig,
  type PlanOptions,
  type SourceMessage,
} from '../pipeline/index.js';
import { RouteDecoder } from '../routes/decoder.js';
import type { Route } from '../routes/model.js';
import type { Authenticator } from './auth/authenticator.js';
import { pipelineConfigFrom, type IngestConfig } from './config.js';
// Types only from the sender: its module loads the SQS client, which index.ts imports on first use.
import { DEAD_LETTER_KINDS } from '../interface/dead-letters.js';
import type { DeadLetter, DeadLetterSender } from './dead-letter.js';
import { deliver, type DeliveryObserver, type DeliveryResult, type LastChance } from './delivery.js';
import { FirstBatchTiering } from './first-batch-tiering.js';
import {
  clip,
  countMetric,
  deliveryObserver,
  recordDeadLettered,
  type Observability,
} from './observability.js';
import type { StructuredLogger } from './structured-logger.js';
import type { RemoteWriteClient } from './remote-write-client.js';

/** Dead letters logged one by one per invocation; the rest are summarised. */
const MAX_LOGGED_DEAD_LETTERS = 20;
/** Budget when the context cannot tell the remaining time (local runs). */
const DEFAULT_BUDGET_MS = 60_000;
/** Kept after dead-lettering, before the Lambda deadline, to build the response, log and flush metrics. */
const RESPONSE_RESERVE_MS = 200;

export interface HandlerDependencies {
  readonly config: IngestConfig;
  readonly client: RemoteWriteClient;
  readonly authenticator: Authenticator;
  /** Absent when DEAD_LETTER_QUEUE_URL is not set. */
  readonly deadLetterQueue?: DeadLetterSender;
  readonly observability: Observability;
  readonly now?: () => number;
  readonly random?: () => number;
  /** The routes read at cold start; absent: every body is decoded by the bridge's own formats. */
  readonly routes?: readonly Route[];
}

export type IngestHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** SentTimestamp's digits as a number without making a string-to-number conversion per record. */
function sentTimestampOf(text: string | undefined, fallbackMs: number): number {
  if (text === undefined || text.length === 0 || text.length > 15) return fallbackMs;
  let ms = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return fallbackMs;
    ms = ms * 10 + digit;
  }
  return ms > 0 ? ms : fallbackMs;
}

/**
 * An SQS record as the pipeline reads it. The body and SentTimestamp (the arrival every sample's window is measured
 * from, parsed into a plain double) are read when the view is set: RecordViews sets the views of a batch in one
 * loop, whose reads of different records the CPU overlaps, where planning reached each record, its attributes and
 * its SentTimestamp one cache miss after another.
 */
class RecordMessage implements SourceMessage {
  private record: SQSRecord | undefined;
  body = '';
  sentTimestampMs = 0;

  view(record: SQSRecord | undefined, fallbackMs: number): void {
    this.record = record;
    const body = record?.body;
    this.body = typeof body === 'string' ? body : '';
    this.sentTimestampMs = sentTimestampOf(record?.attributes?.SentTimestamp, fallbackMs);
  }

  get messageId(): string {
    return this.record?.messageId ?? '';
  }
}

/**
 * The views of one batch's records, reused from invocation to invocation: planBatch reads them synchronously and
 * keeps none, so a warm environment makes no object per record.
 */
class RecordViews {
  private readonly views: RecordMessage[] = [];

  of(records: readonly SQSRecord[], fallbackMs: number): SourceMessage[] {
    while (this.views.length < records.length) this.views.push(new RecordMessage());
    this.viewAll(records, fallbackMs);
    return this.views.slice(0, records.length);
  }

  /** of()'s loop alone: V8 compiled it on the stack before the code after it had run, and threw it away there. */
  private viewAll(records: readonly SQSRecord[], fallbackMs: number): void {
    for (let i = 0; i < records.length; i++) this.views[i]!.view(records[i], fallbackMs);
  }

  /** Lets go of the batch's records once it is planned, so a warm environment does not keep an old event alive. */
  release(): void {
    for (const view of this.views) view.view(undefined, 0);
  }
}

function remainingMs(context: Context | undefined): number {
  const remaining = context?.getRemainingTimeInMillis?.();
  return typeof remaining === 'number' && Number.isFinite(remaining) ? remaining : DEFAULT_BUDGET_MS;
}

/** The times one invocation works to, all epoch ms. */
interface InvocationClock {
  readonly started: number;
  /** Delivery stops here, leaving the safety margin. */
  readonly deadlineMs: number;
  /** Dead-lettering runs in the safety margin that delivery leaves free. */
  readonly deadLetterDeadlineMs: number;
}

/** Where the messages of one batch end, before dead-lettering. */
interface Sorted {
  readonly letters: DeadLetter[];
  readonly returned: Set<string>;
}

/** Whether a record is on its final receive: after it, SQS moves it to the dead-letter queue itself. */
function isFinalReceive(record: SQSRecord, maxReceiveCount: number | undefined): boolean {
  if (maxReceiveCount === undefined) return false;
  const count = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isFinite(count) && count >= maxReceiveCount;
}

/** Returned for a message planBatch had no time for on its final receive. */
const NOT_PLANNED_REASON = 'not planned before the deadline';

/** One instance per execution environment: the normaliser and its caches live as long as it. */
class BatchHandler {
  private readonly pipelineConfig: PipelineConfig;
  // Kept for the life of the execution environment: the fleet's label sets are checked and encoded once.
  private readonly normaliser: SampleNormaliser;
  private readonly observer: DeliveryObserver;
  private readonly now: () => number;
  // The request buffer is reused from request to request; compressBlock copies out of it before the next one.
  private readonly encoder = new RequestEncoder();
  private readonly records = new RecordViews();
  private readonly tiering = new FirstBatchTiering();
  /** Envelopes are decoded by their route; undefined keeps decodeMessage. */
  private readonly decode: PlanOptions['decode'];

  constructor(private readonly deps: HandlerDependencies) {
    this.pipelineConfig = pipelineConfigFrom(deps.config);
    this.normaliser = new SampleNormaliser(
      this.pipelineConfig,
      seriesCacheLimitsFor(process.env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE']),
    );
    const decoder = deps.routes === undefined ? undefined : new RouteDecoder(deps.routes);
    this.decode = decoder === undefined ? undefined : (message, options) => decoder.decode(message, options);
    this.observer = deliveryObserver(deps.observability);
    this.now = deps.now ?? Date.now;
  }

  private get logger(): StructuredLogger {
    return this.deps.observability.logger;
  }

  async invoke(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    const { logger, metrics } = this.deps.observability;
    if (context !== undefined) logger.addContext(context);
    try {
      return await this.handle(event, context);
    } catch (error) {
      // A bug, not bad input: acknowledging nothing is the only answer that cannot lose data.
      logger.error('unexpected failure; the whole batch returns to the queue', error as Error);
      const ids = new Set<string>();
      // Malformed events included: an item identifier that is no string would fail the whole response.
      for (const record of Array.isArray(event?.Records) ? (event.Records as unknown[]) : []) {
        const messageId = (record as { messageId?: unknown } | null | undefined)?.messageId;
        if (typeof messageId === 'string') ids.add(messageId);
      }
      return { batchItemFailures: [...ids].map((itemIdentifier) => ({ itemIdentifier })) };
    } finally {
      metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  }

  private clock(context: Context): InvocationClock {
    const { deadlineSafetyMarginMs } = this.deps.config;
    const started = this.now();
    const lambdaDeadlineMs = started + remainingMs(context);
    return {
      started,
      deadlineMs: lambdaDeadlineMs - deadlineSafetyMarginMs,
      deadLetterDeadlineMs: lambdaDeadlineMs - Math.min(RESPONSE_RESERVE_MS, deadlineSafetyMarginMs),
    };
  }

  private async handle(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    const { config } = this.deps;
    const { logger, metrics } = this.deps.observability;
    const clock = this.clock(context);
    const records = Array.isArray(event?.Records) ? event.Records : [];
    logger.appendKeys({ batchSize: records.length });
    countMetric(metrics, 'MessagesReceived', records.length);
    if (records.length === 0) return { batchItemFailures: [] };

    const plan = this.plan(records, clock);
    countMetric(metrics, 'SamplesDeduplicated', plan.stats.duplicatesDropped);
    const finalReceive = records.map((record) => isFinalReceive(record, config.maxReceiveCount));
    const result = await this.deliver(plan, clock, finalReceive).finally(plan.release);
    const sorted = sortOutcomes(records, plan, result, finalReceive);
    const deadLettered = await this.deadLetter(sorted, clock.deadLetterDeadlineMs);
    const batchItemFailures = [...sorted.returned].map((itemIdentifier) => ({ itemIdentifier }));
    this.summarise(records.length, plan, result, deadLettered, batchItemFailures.length, clock.started);
    return { batchItemFailures };
  }

  private plan(records: readonly SQSRecord[], clock: InvocationClock): BatchPlan {
    // Planning may take at most half the budget, so the planned messages still have time to be delivered.
    const deadlineMs = clock.started + (clock.deadlineMs - clock.started) / 2;
    const options: PlanOptions = {
      deadlineMs,
      now: this.now,
      ...(this.decode ? { decode: this.decode } : {}),
    };
    try {
      return this.tiering.run(records.length, () =>
        planBatch(this.records.of(records, clock.started), this.pipelineConfig, this.normaliser, options),
      );
    } finally {
      this.records.release();
    }
  }

  private deliver(plan: BatchPlan, clock: InvocationClock, finalReceive: boolean[]): Promise<DeliveryResult> {
    const { config } = this.deps;
    // Half the delivery budget goes to retrying; a request holding a message on its final receive that still
    // fails then is bisected in the other half.
    const lastChance: LastChance | undefined = finalReceive.includes(true)
      ? {
          isFinalReceive: (message) => finalReceive[message] === true,
          isolateFromMs: clock.deadlineMs - (clock.deadlineMs - clock.started) / 2,
        }
      : undefined;
    return deliver(plan.batches, plan.after, {
      client: this.deps.client,
      authenticator: this.deps.authenticator,
      encode: (batch) => compressBlock(encodeWriteRequestView(batch, this.encoder)),
      bisect: bisectBatch,
      concurrency: config.concurrency,
      deadlineMs: clock.deadlineMs,
      timeoutMs: config.timeoutMs,
      retryBaseDelayMs: config.retryBaseDelayMs,
      retryMaxDelayMs: config.retryMaxDelayMs,
      observer: this.observer,
      now: this.now,
      ...(lastChance === undefined ? {} : { lastChance }),
      ...(this.deps.random === undefined ? {} : { random: this.deps.random }),
    });
  }

  /** Sends the letters; whatever SQS did not confirm joins `sorted.returned`. Returns the confirmed ones. */
  private async deadLetter(sorted: Sorted, deadlineMs: number): Promise<DeadLetter[]> {
    const { letters, returned } = sorted;
    if (letters.length === 0) return [];
    this.logLetters(letters);
    const queue = this.deps.deadLetterQueue;
    if (queue === undefined) {
      this.logger.warn(
        'DEAD_LETTER_QUEUE_URL is not set: messages that can never succeed return to the queue',
        {
          count: letters.length,
        },
      );
      for (const letter of letters) returned.add(letter.record.messageId);
      return [];
    }
    const outcome = await queue.send(letters, { deadlineMs });
    // Whatever the sender did not confirm returns to the queue, whether or not it listed it as failed; its
    // failed list is only read for the log, so an id it made up never reaches batchItemFailures.
    const sent = new Set(outcome.sent);
    const confirmed = letters.filter((letter) => sent.has(letter.record.messageId));
    const unconfirmed = letters.filter((letter) => !sent.has(letter.record.messageId));
    if (unconfirmed.length > 0) {
      this.logger.error('dead-lettering failed; those messages return to the queue', {
        count: unconfirmed.length,
        firstError: clip(outcome.failed[0]?.error ?? 'not confirmed'),
      });
      for (const letter of unconfirmed) returned.add(letter.record.messageId);
    }
    for (const kind of DEAD_LETTER_KINDS) {
      const count = confirmed.filter((letter) => letter.kind === kind).length;
      recordDeadLettered(this.deps.observability.metrics, kind, count);
    }
    return confirmed;
  }

  private logLetters(letters: readonly DeadLetter[]): void {
    for (const letter of letters.slice(0, MAX_LOGGED_DEAD_LETTERS)) {
      this.logger.warn('message can never succeed', {
        messageId: letter.record.messageId,
        errorKind: letter.kind,
        reason: clip(letter.reason),
      });
    }
    if (letters.length > MAX_LOGGED_DEAD_LETTERS) {
      this.logger.warn('more messages can never succeed', {
        notLogged: letters.length - MAX_LOGGED_DEAD_LETTERS,
      });
    }
  }

  private summarise(
    messages: number,
    plan: BatchPlan,
    result: DeliveryResult,
    deadLettered: readonly DeadLetter[],
    batchItemFailures: number,
    started: number,
  ): void {
    const { metrics } = this.deps.observability;
    countMetric(metrics, 'SamplesWritten', result.samplesWritten);
    countMetric(metrics, 'SeriesWritten', result.seriesWritten);
    countMetric(metrics, 'BatchItemFailures', batchItemFailures);
    if (result.oldestWrittenMs !== undefined) {
      metrics.addMetric(
        'IngestLag',
        MetricUnit.Milliseconds,
        Math.max(0, this.now() - result.oldestWrittenMs),
      );
    }
    this.logger.info('batch done', {
      messages,
      samplesPlanned: plan.stats.samples,
      samplesWritten: result.samplesWritten,
      seriesWritten: result.seriesWritten,
      duplicatesDropped: plan.stats.duplicatesDropped,
      conflictsDropped: plan.stats.conflictsDropped,
      skippedRecords: plan.stats.skippedRecords,
      requests: result.requests,
      retries: result.retries,
      resolvingRequests: result.resolvingRequests,
      deadLettered: deadLettered.length,
      batchItemFailures,
      durationMs: this.now() - started,
      ...(result.abortedBecause === undefined ? {} : { abortedBecause: clip(result.abortedBecause) }),
    });
  }
}

/**
 * Each record's place: invalid, rejected or failed after retries (a dead letter), returned for SQS to
 * redeliver, or written (neither). Messages planBatch deferred for lack of time are returned, or on their final
 * receive dead-lettered, since SQS would otherwise move them without a reason.
 */
function sortOutcomes(
  records: readonly SQSRecord[],
  plan: BatchPlan,
  result: DeliveryResult,
  finalReceive: readonly boolean[],
): Sorted {
  const letters: DeadLetter[] = [];
  const returned = new Set<string>();
  const invalid = new Map(plan.invalid.map((failure) => [failure.index, failure.error.message]));
  const deferred = new Set(plan.deferred);
  records.forEach((record, index) => {
    const invalidReason = invalid.get(index);
    const rejectedReason = result.rejected.get(index);
    const failedReason = result.failedAfterRetries.get(index);
    if (invalidReason !== undefined) letters.push({ record, kind: 'invalid-message', reason: invalidReason });
    else if (rejectedReason !== undefined) {
      letters.push({ record, kind: 'rejected-by-receiver', reason: rejectedReason });
    } else if (failedReason !== undefined) {
      letters.push({ record, kind: 'failed-after-retries', reason: failedReason });
    } else if (deferred.has(index) && finalReceive[index] === true) {
      letters.push({ record, kind: 'failed-after-retries', reason: NOT_PLANNED_REASON });
    } else if (result.unwritten.has(index) || deferred.has(index)) returned.add(record.messageId);
  });
  return { letters, returned };
}

export function createHandler(deps: HandlerDependencies): IngestHandler {
  const handler = new BatchHandler(deps);
  return (event, context) => handler.invoke(event, context);
}
