// The data that flows through the pure pipeline:
//   SourceMessage --decode--> DecodedSample --normalise--> SampleTable --series--> SampleColumns + Series
//   --split--> WriteBatch
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

/** One sample of a series after sorting and de-duplication, as an object (see `samplesOf`): the pipeline itself
 * keeps samples in columns (SampleColumns), this form is for tests, tools and error reports. */
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
  /** Index of this identity in the normaliser's `identities` (dense, from 0, in order of first appearance). */
  readonly id: number;
  /** Canonical identity of the label set; equal label sets give equal keys. */
  readonly key: string;
  readonly labels: readonly Label[];
  /**
   * The label fields of a remote-write TimeSeries for these labels, encoded once for the series' lifetime. The
   * series cache may move them to another slab between batches (series-bytes.ts); the bytes never change.
   */
  readonly encodedLabels: Uint8Array;
  /** fieldsHash of encodedLabels, when the maker computed it (grouping computes it otherwise). */
  readonly hash?: number;
}

/**
 * The samples of one batch after grouping, sorting and de-duplication, in columns rather than one object per
 * sample: a 10,000-message batch holds tens of thousands of samples, and objects cost allocation and garbage
 * collection time that typed arrays do not. Sample k is
 * (timestampMs[k], value[k], stale[k]); the messages that carried it (or lost a conflict to it) are
 * messages[messageStart[k] .. messageStart[k + 1]), ascending and without repeats.
 */
export interface SampleColumns {
  readonly timestampMs: Float64Array;
  readonly value: Float64Array;
  /** 1 for a Prometheus staleness marker (encoded with the exact bits 0x7ff0000000000002; `value` is ignored). */
  readonly stale: Uint8Array;
  /** One more entry than there are samples. */
  readonly messageStart: Int32Array;
  readonly messages: Int32Array;
}

/** The samples [start, end) of `columns` that belong to one label set, strictly ascending by timestamp. */
export interface SeriesRange {
  readonly labels: readonly Label[];
  /**
   * `labels` as remote-write label fields (encodeLabelFields) are fields[fieldsStart, fieldsEnd): a series' own
   * array, or a range of one array that holds the fields of many series (one-off series, one-off-series.ts).
   */
  readonly fields: Uint8Array;
  readonly fieldsStart: number;
  readonly fieldsEnd: number;
  /**
   * Where the series' first sample is in `columns`: the same for every range of one series, so it names the series
   * among those of its columns (the delivery keeps numbers per series by it, with no map keyed by objects).
   */
  readonly first: number;
  readonly start: number;
  readonly end: number;
}

/** A series of a grouped batch: all its samples, as one range. */
export type Series = SeriesRange;

/** The content of one remote-write request, before encoding. */
export interface WriteBatch {
  /** Shared by every batch of one plan; the batch's samples are the ranges in `series`. */
  readonly columns: SampleColumns;
  /** Each range is strictly ascending; a label set appears at most once per batch. */
  readonly series: readonly SeriesRange[];
  readonly sampleCount: number;
  /** Indexes of every message with a sample in this batch (sorted ascending, no repeats). */
  readonly messages: readonly number[];
}
