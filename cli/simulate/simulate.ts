// Sends synthetic telemetry to a queue at a steady rate, bounded by a duration and/or a message count.
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { isAborted } from '../abort.js';
import { createRateLimiter } from '../rate-limiter.js';
import { TelemetryGenerator, type MessageFormat, type TelemetryMessage } from './telemetry.js';

export interface SimulateOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly devices: number;
  readonly ratePerSecond: number;
  /** Stop after this many seconds. At least one of durationSeconds and count is required. */
  readonly durationSeconds?: number;
  /** Stop after this many messages. */
  readonly count?: number;
  readonly formats?: readonly MessageFormat[];
  readonly malformedShare?: number;
  /** SendMessageBatch calls in flight at once. @default 4 */
  readonly concurrency?: number;
  readonly random?: () => number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: SimulateProgress) => void;
}

export interface SimulateProgress {
  readonly sent: number;
  readonly failed: number;
  readonly target: number;
}

export interface SimulateSummary {
  readonly queueUrl: string;
  /** Messages SQS confirmed. */
  readonly sent: number;
  /** Messages SQS refused (not retried: simulated telemetry is disposable). */
  readonly failed: number;
  /** Of `sent`, the malformed ones the bridge should dead-letter. */
  readonly malformed: number;
  /** Samples in the well-formed sent messages. */
  readonly samples: number;
  readonly byFormat: Readonly<Record<string, number>>;
  readonly elapsedMs: number;
  readonly messagesPerSecond: number;
  readonly interrupted: boolean;
}

export async function simulate(options: SimulateOptions): Promise<SimulateSummary> {
  if (options.durationSeconds === undefined && options.count === undefined) {
    throw new RangeError('simulate needs a duration or a count');
  }
  if (!(options.ratePerSecond > 0)) throw new RangeError('rate must be > 0');
  const generator = new TelemetryGenerator({
    devices: options.devices,
    formats: options.formats,
    malformedShare: options.malformedShare,
    random: options.random,
  });
  const target = Math.floor(
    Math.min(
      options.count ?? Number.POSITIVE_INFINITY,
      options.durationSeconds === undefined
        ? Number.POSITIVE_INFINITY
        : options.ratePerSecond * options.durationSeconds,
    ),
  );
  const deadline =
    options.durationSeconds === undefined
      ? Number.POSITIVE_INFINITY
      : Date.now() + options.durationSeconds * 1000;
  // Small batches at low rates keep the flow smooth; 10 (SQS's maximum) at high rates keeps calls few.
  const batchSize = Math.min(10, Math.max(1, Math.ceil(options.ratePerSecond / 20)));
  const limiter = createRateLimiter(options.ratePerSecond);
  const concurrency = options.concurrency ?? 4;
  const started = Date.now();
  const totals = { sent: 0, failed: 0, malformed: 0, samples: 0 };
  const byFormat: Record<string, number> = {};
  const inFlight = new Set<Promise<void>>();
  let generated = 0;

  const sendBatch = async (batch: TelemetryMessage[]): Promise<void> => {
    try {
      const answer = await options.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: batch.map((m, i) => ({ Id: `s${i}`, MessageBody: m.body })),
        }),
      );
      for (const ok of answer.Successful ?? []) {
        const m = batch[Number(ok.Id?.slice(1))];
        if (m === undefined) continue;
        totals.sent += 1;
        if (m.format === 'malformed') totals.malformed += 1;
        totals.samples += m.samples;
        byFormat[m.format] = (byFormat[m.format] ?? 0) + 1;
      }
      totals.failed += answer.Failed?.length ?? 0;
    } catch {
      totals.failed += batch.length;
    }
    options.onProgress?.({ sent: totals.sent, failed: totals.failed, target });
  };

  while (generated < target && Date.now() < deadline && !isAborted(options.signal)) {
    const size = Math.min(batchSize, target - generated);
    await limiter.take(size, options.signal);
    if (isAborted(options.signal) || Date.now() >= deadline) break;
    const batch = Array.from({ length: size }, () => generator.message());
    generated += size;
    const pending: Promise<void> = sendBatch(batch).finally(() => inFlight.delete(pending));
    inFlight.add(pending);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const elapsedMs = Date.now() - started;
  return {
    queueUrl: options.queueUrl,
    ...totals,
    byFormat,
    elapsedMs,
    messagesPerSecond: elapsedMs > 0 ? Math.round((totals.sent / elapsedMs) * 10_000) / 10 : 0,
    interrupted: isAborted(options.signal),
  };
}
