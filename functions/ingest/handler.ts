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
  SampleNormaliser,
  seriesCacheLimitsFor,
  type BatchPlan,
  type SourceMessage,
} from '../pipeline/index.js';
import type { Authenticator } from './auth/authenticator.js';
import { pipelineConfigFrom, type IngestConfig } from './config.js';
import type { DeadLetter, DeadLetterSender } from './dead-letter.js';
import { deliver } from './delivery.js';
import {
  clip,
  countMetric,
  deliveryObserver,
  recordDeadLettered,
  type Observability,
} from './observability.js';
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
}

export type IngestHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * An SQS record as the pipeline reads it. SentTimestamp is parsed only when asked for: only samples without a
 * timestamp of their own and conflicting samples need it, and parsing it up front for every record of a
 * 10,000-message batch cost about 3 ms of CPU (a boxed number per record), a fifth of planning the batch.
 */
class RecordMessage implements SourceMessage {
  record: SQSRecord | undefined;
  fallbackMs = 0;

  get messageId(): string {
    return this.record?.messageId ?? '';
  }

  get body(): string {
    const body = this.record?.body;
    return typeof body === 'string' ? body : '';
  }

  get sentTimestampMs(): number {
    const sent = Number(this.record?.attributes?.SentTimestamp);
    return Number.isFinite(sent) && sent > 0 ? sent : this.fallbackMs;
  }
}

/**
 * The views of one batch's records, reused from invocation to invocation: planBatch reads them synchronously and
 * keeps none, and 10,000 new objects per batch were a fifth of the handler's garbage (bench allocation profile).
 */
const recordViews: RecordMessage[] = [];

function sourceMessages(records: readonly SQSRecord[], fallbackMs: number): SourceMessage[] {
  while (recordViews.length < records.length) recordViews.push(new RecordMessage());
  for (let i = 0; i < records.length; i++) {
    const view = recordViews[i]!;
    view.record = records[i];
    view.fallbackMs = fallbackMs;
  }
  return recordViews.slice(0, records.length);
}

/** Lets go of the batch's records once it is planned, so a warm environment does not keep an old event alive. */
function releaseSourceMessages(): void {
  for (const view of recordViews) view.record = undefined;
}

function remainingMs(context: Context | undefined): number {
  const remaining = context?.getRemainingTimeInMillis?.();
  return typeof remaining === 'number' && Number.isFinite(remaining) ? remaining : DEFAULT_BUDGET_MS;
}

export function createHandler(deps: HandlerDependencies): IngestHandler {
  const { config, observability } = deps;
  const { logger, metrics } = observability;
  const now = deps.now ?? Date.now;
  const pipelineConfig = pipelineConfigFrom(config);
  // Kept for the life of the execution environment: the fleet's label sets are checked and encoded once.
  const normaliser = new SampleNormaliser(
    pipelineConfig,
    seriesCacheLimitsFor(process.env['AWS_LAMBDA_FUNCTION_MEMORY_SIZE']),
  );
  const observer = deliveryObserver(observability);

  async function handle(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    const started = now();
    const lambdaDeadlineMs = started + remainingMs(context);
    const deadlineMs = lambdaDeadlineMs - config.deadlineSafetyMarginMs;
    // Dead-lettering runs in the safety margin that delivery leaves free.
    const deadLetterDeadlineMs =
      lambdaDeadlineMs - Math.min(RESPONSE_RESERVE_MS, config.deadlineSafetyMarginMs);
    const records = Array.isArray(event?.Records) ? event.Records : [];
    logger.appendKeys({ batchSize: records.length });
    countMetric(metrics, 'MessagesReceived', records.length);
    if (records.length === 0) return { batchItemFailures: [] };

    let plan: BatchPlan;
    try {
      plan = planBatch(sourceMessages(records, started), pipelineConfig, normaliser);
    } finally {
      releaseSourceMessages();
    }
    countMetric(metrics, 'SamplesDeduplicated', plan.stats.duplicatesDropped);

    const result = await deliver(plan.batches, plan.after, {
      client: deps.client,
      authenticator: deps.authenticator,
      encode: (batch) => compressBlock(encodeWriteRequestView(batch)),
      bisect: bisectBatch,
      concurrency: config.concurrency,
      deadlineMs,
      timeoutMs: config.timeoutMs,
      retryBaseDelayMs: config.retryBaseDelayMs,
      retryMaxDelayMs: config.retryMaxDelayMs,
      observer,
      now,
      ...(deps.random === undefined ? {} : { random: deps.random }),
    });

    const failures = new Set<string>();
    const letters: DeadLetter[] = [];
    const invalid = new Map(plan.invalid.map((failure) => [failure.index, failure.error.message]));
    records.forEach((record, index) => {
      const invalidReason = invalid.get(index);
      const rejectedReason = result.rejected.get(index);
      if (invalidReason !== undefined)
        letters.push({ record, kind: 'invalid-message', reason: invalidReason });
      else if (rejectedReason !== undefined) {
        letters.push({ record, kind: 'rejected-by-receiver', reason: rejectedReason });
      } else if (result.unwritten.has(index)) failures.add(record.messageId);
    });

    const deadLettered = letters.length === 0 ? [] : await deadLetter(letters);

    const batchItemFailures = [...failures].map((itemIdentifier) => ({ itemIdentifier }));
    countMetric(metrics, 'SamplesWritten', result.samplesWritten);
    countMetric(metrics, 'SeriesWritten', result.seriesWritten);
    countMetric(metrics, 'BatchItemFailures', batchItemFailures.length);
    if (result.oldestWrittenMs !== undefined) {
      metrics.addMetric('IngestLag', MetricUnit.Milliseconds, Math.max(0, now() - result.oldestWrittenMs));
    }
    logger.info('batch done', {
      messages: records.length,
      samplesPlanned: plan.stats.samples,
      samplesWritten: result.samplesWritten,
      seriesWritten: result.seriesWritten,
      duplicatesDropped: plan.stats.duplicatesDropped,
      conflictsDropped: plan.stats.conflictsDropped,
      skippedRecords: plan.stats.skippedRecords,
      requests: result.requests,
      retries: result.retries,
      deadLettered: deadLettered.length,
      batchItemFailures: batchItemFailures.length,
      durationMs: now() - started,
      ...(result.abortedBecause === undefined ? {} : { abortedBecause: clip(result.abortedBecause) }),
    });
    return { batchItemFailures };

    /** Sends the letters; whatever is not confirmed becomes a batch item failure. Returns the confirmed ones. */
    async function deadLetter(all: DeadLetter[]): Promise<DeadLetter[]> {
      all.slice(0, MAX_LOGGED_DEAD_LETTERS).forEach((letter) =>
        logger.warn('message can never succeed', {
          messageId: letter.record.messageId,
          errorKind: letter.kind,
          reason: clip(letter.reason),
        }),
      );
      if (all.length > MAX_LOGGED_DEAD_LETTERS) {
        logger.warn('more messages can never succeed', { notLogged: all.length - MAX_LOGGED_DEAD_LETTERS });
      }
      if (deps.deadLetterQueue === undefined) {
        logger.warn('DEAD_LETTER_QUEUE_URL is not set: messages that can never succeed return to the queue', {
          count: all.length,
        });
        for (const letter of all) failures.add(letter.record.messageId);
        return [];
      }
      const outcome = await deps.deadLetterQueue.send(all, { deadlineMs: deadLetterDeadlineMs });
      // Whatever the sender did not confirm returns to the queue, whether or not it listed it as failed; its
      // failed list is only read for the log, so an id it made up never reaches batchItemFailures.
      const sent = new Set(outcome.sent);
      const confirmed = all.filter((letter) => sent.has(letter.record.messageId));
      const unconfirmed = all.filter((letter) => !sent.has(letter.record.messageId));
      if (unconfirmed.length > 0) {
        logger.error('dead-lettering failed; those messages return to the queue', {
          count: unconfirmed.length,
          firstError: clip(outcome.failed[0]?.error ?? 'not confirmed'),
        });
        for (const letter of unconfirmed) failures.add(letter.record.messageId);
      }
      recordDeadLettered(
        metrics,
        'invalid-message',
        confirmed.filter((l) => l.kind === 'invalid-message').length,
      );
      recordDeadLettered(
        metrics,
        'rejected-by-receiver',
        confirmed.filter((l) => l.kind === 'rejected-by-receiver').length,
      );
      return confirmed;
    }
  }

  return async (event, context) => {
    if (context !== undefined) logger.addContext(context);
    try {
      return await handle(event, context);
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
  };
}
