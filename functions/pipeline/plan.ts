// The whole pure pipeline for one SQS batch: decode → normalise → group/sort/dedupe → split. What comes out is
// ready to encode and send, with every message accounted for: it either has samples in the planned requests or
// is listed as invalid.
import { DEFAULT_PIPELINE_CONFIG, type PipelineConfig } from './config.js';
import { decodeMessage } from './decode/index.js';
import { InvalidMessageError } from './errors.js';
import type { NormalisedSample, SourceMessage, WriteBatch } from './model.js';
import { SampleNormaliser } from './normalise.js';
import { groupSeries } from './series.js';
import { splitIntoBatches } from './split.js';

export interface MessageFailure {
  /** Index of the message in the batch. */
  readonly index: number;
  readonly messageId: string;
  readonly error: InvalidMessageError;
}

export interface BatchStats {
  readonly messages: number;
  /** Samples in the planned requests, after de-duplication. */
  readonly samples: number;
  readonly series: number;
  readonly duplicatesDropped: number;
  readonly conflictsDropped: number;
  /** SenML records without a numeric value (`vs`/`vd` only), skipped by design. */
  readonly skippedRecords: number;
  /** The oldest sample timestamp in the planned requests, for the ingest-lag metric. */
  readonly oldestTimestampMs?: number;
}

export interface BatchPlan {
  /** Requests in send order. */
  readonly batches: WriteBatch[];
  /**
   * For each batch, the earlier batches holding earlier samples of one of its series: it may be sent only after
   * they were written. Batches without prerequisites between them may be sent concurrently.
   */
  readonly after: ReadonlyArray<readonly number[]>;
  /** Messages that can never succeed; they are dead-lettered with kind `invalid-message`. */
  readonly invalid: MessageFailure[];
  readonly stats: BatchStats;
}

function asInvalid(error: unknown, message: SourceMessage): InvalidMessageError {
  if (error instanceof InvalidMessageError) {
    return error.messageId === message.messageId ? error : error.withMessageId(message.messageId);
  }
  // A decoder bug must not fail the batch or lose the message: it is dead-lettered with the error text.
  const text = error instanceof Error ? error.message : String(error);
  return new InvalidMessageError(message.messageId, '', `could not be decoded: ${text}`);
}

/** Plans the remote-write requests for one batch of messages. Never throws for bad input. */
export function planBatch(
  messages: readonly SourceMessage[],
  config: PipelineConfig = DEFAULT_PIPELINE_CONFIG,
  normaliser: SampleNormaliser = new SampleNormaliser(config),
): BatchPlan {
  const samples: NormalisedSample[] = [];
  const invalid: MessageFailure[] = [];
  let skippedRecords = 0;

  for (let index = 0; index < messages.length; index++) {
    const message = messages[index] as SourceMessage;
    const before = samples.length;
    try {
      const decoded = decodeMessage(message);
      skippedRecords += decoded.skippedRecords;
      for (const sample of decoded.samples)
        samples.push(normaliser.normalise(sample, index, message.messageId));
    } catch (error) {
      // One bad sample makes the whole message invalid: its other samples are not written, so a replay after
      // the device is fixed does not meet half of them already stored.
      samples.length = before;
      invalid.push({ index, messageId: message.messageId, error: asInvalid(error, message) });
    }
  }

  const { series, stats } = groupSeries(samples, messages);
  const { batches, after } = splitIntoBatches(series, config.request);

  let sampleCount = 0;
  let oldest = Infinity;
  for (const s of series) {
    sampleCount += s.samples.length;
    const first = s.samples[0];
    if (first !== undefined && first.timestampMs < oldest) oldest = first.timestampMs;
  }
  return {
    batches,
    after,
    invalid,
    stats: {
      messages: messages.length,
      samples: sampleCount,
      series: series.length,
      duplicatesDropped: stats.duplicatesDropped,
      conflictsDropped: stats.conflictsDropped,
      skippedRecords,
      ...(oldest === Infinity ? {} : { oldestTimestampMs: oldest }),
    },
  };
}
