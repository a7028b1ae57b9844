// How old the samples of a dead-lettered message are, so replay can warn before it sends samples the
// receiver will discard (AMP refuses samples older than 1 hour, and older than its out-of-order window
// relative to the series' newest sample).
import { decodeMessage } from '../../functions/pipeline/decode/index.js';
import type { DecodedMessage, SourceMessage } from '../../functions/pipeline/model.js';

export type MessageDecoder = (message: SourceMessage) => DecodedMessage;

/** The oldest sample's timestamp, and whether it came from the body or only from SentTimestamp. */
export interface SampleAge {
  readonly oldestSampleMs: number;
  readonly source: 'body' | 'sent-timestamp';
}

/** AMP's limit; Prometheus' own is its TSDB head window, which is longer. */
export const DEFAULT_MAX_SAMPLE_AGE_MS = 60 * 60 * 1000;

/** The pipeline's own decoder, so replay judges ages exactly as the bridge will read the samples. */
export const pipelineDecoder: MessageDecoder = decodeMessage;

/**
 * The age of a message's samples. Bodies the decoder refuses (they are in the dead-letter queue for a
 * reason) and messages without a decoder fall back to SentTimestamp, which is never younger than a sample
 * stamped at send time by the device.
 */
export function sampleAge(message: SourceMessage, decoder: MessageDecoder | undefined): SampleAge {
  if (decoder !== undefined) {
    try {
      const decoded = decoder(message);
      let oldest = Number.POSITIVE_INFINITY;
      for (const sample of decoded.samples) oldest = Math.min(oldest, sample.timestampMs);
      if (Number.isFinite(oldest)) return { oldestSampleMs: oldest, source: 'body' };
    } catch {
      // An undecodable body has no sample timestamps of its own.
    }
  }
  return { oldestSampleMs: message.sentTimestampMs, source: 'sent-timestamp' };
}
