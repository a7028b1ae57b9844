// The whole pure pipeline for one SQS batch: decode → normalise → group/sort/dedupe → split. What comes out is
// ready to encode and send, with every message accounted for: it either has samples in the planned requests or
// is listed as invalid.
import { DEFAULT_PIPELINE_CONFIG, type PipelineConfig } from './config.js';
import { decodeMessage } from './decode/index.js';
import { InvalidMessageError } from './errors.js';
import type { SourceMessage, WriteBatch } from './model.js';
import { SampleNormaliser } from './normalise.js';
import { SampleTable } from './sample-table.js';
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
  const table = new SampleTable(messages.length * 4);
  const invalid: MessageFailure[] = [];
  let skippedRecords = 0;

  for (let index = 0; index < messages.length; index++) {
    const message = messages[index] as SourceMessage;
    const before = table.length;
    try {
      const decoded = decodeMessage(message);
      skippedRecords += decoded.skippedRecords;
      for (const sample of decoded.samples) {
        const series = normaliser.seriesOf(sample, message.messageId);
        table.push(series.id, sample.timestampMs, sample.value, sample.stale === true, index);
      }
    } catch (error) {
      // One bad sample makes the whole message invalid: its other samples are not written, so a replay after
      // the device is fixed does not meet half of them already stored.
      table.truncate(before);
      invalid.push({ index, messageId: message.messageId, error: asInvalid(error, message) });
    }
  }

  const { series, columns, stats } = groupSeries(table, normaliser.identities, messages);
  const { batches, after } = splitIntoBatches(columns, series, config.request);

  let oldest = Infinity;
  for (const s of series) {
    const first = columns.timestampMs[s.start]!;
    if (first < oldest) oldest = first;
  }
  const sampleCount = columns.timestampMs.length;
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
