// The data that flows through the pure pipeline:
//   SourceMessage --decode--> DecodedSample --normalise--> NormalisedSample --series--> Series --split--> WriteBatch
// Messages are referred to by their index in the batch (a number is far cheaper than a string per sample).

/** One SQS message as the pipeline sees it: no AWS types, so the pipeline runs and tests without them. */
export interface SourceMessage {
  /** SQS message id; names the message in every error. */
  readonly messageId: string;
  /** The raw body: UTF-8 JSON or base64 of UTF-8 JSON. */
  readonly body: string;
  /** SQS `SentTimestamp` (ms since epoch): the default timestamp of samples that carry none. */
  readonly sentTimestampMs: number;
}

/** A sample as a decoder produced it: names not yet sanitised, labels not yet merged or sorted. */
export interface DecodedSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** Integer milliseconds since the Unix epoch. */
  readonly timestampMs: number;
  /** A Prometheus staleness marker: encoded with the exact bits 0x7ff0000000000002, `value` is ignored. */
  readonly stale?: boolean;
  /**
   * JSON path of the record that produced the sample ('' for the body itself, `[3]` for an array element), so
   * that normalisation errors can name the field, e.g. `[3].labels.site`.
   */
  readonly path?: string;
}

/** What a decoder returns for one message. */
export interface DecodedMessage {
  readonly samples: DecodedSample[];
  /** Records that carry no numeric value (SenML `vs`/`vd` only) and were skipped, not an error. */
  readonly skippedRecords: number;
}

export interface Label {
  readonly name: string;
  readonly value: string;
}

/** One sample of a series after sorting and de-duplication. */
export interface SeriesSample {
  readonly timestampMs: number;
  readonly value: number;
  readonly stale: boolean;
  /**
   * Every message that contributed this exact sample (a duplicate merges into it) or lost a conflict to it.
   * A message is only acknowledged once all samples that name it are written.
   */
  readonly messages: readonly number[];
}

/** A complete, valid label set (with `__name__`), sorted by byte order of the name; one object per series. */
export interface SeriesIdentity {
  /** Canonical identity of the label set; equal label sets give equal keys. */
  readonly key: string;
  readonly labels: readonly Label[];
}

/**
 * A sample with its series identified. It is also a valid SeriesSample of its one message, so a series without
 * duplicates is made of these very objects.
 */
export interface NormalisedSample extends SeriesSample {
  /** Shared by every sample of the same label set within a batch (compare by identity). */
  readonly series: SeriesIdentity;
  /** Index of the contributing message in the batch (`messages` is `[message]`). */
  readonly message: number;
}

export interface Series {
  /** Canonical identity of the label set; equal label sets give equal keys. */
  readonly key: string;
  readonly labels: readonly Label[];
  /** Strictly ascending by timestampMs. */
  readonly samples: readonly SeriesSample[];
}

/** The content of one remote-write request, before encoding. */
export interface WriteBatch {
  /** Each entry's samples are strictly ascending; a series appears at most once per batch. */
  readonly series: ReadonlyArray<{
    readonly labels: readonly Label[];
    readonly samples: readonly SeriesSample[];
  }>;
  readonly sampleCount: number;
  /** Indexes of every message with a sample in this batch (sorted ascending, no repeats). */
  readonly messages: readonly number[];
}
