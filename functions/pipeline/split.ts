// Splitting series into remote-write requests bounded by samples and by bytes. A series too large for one
// request continues in the next; the later request then records the earlier one as a prerequisite, because
// per-series order must hold across requests (Remote-Write 1.0 §Ordering).
import type { RequestLimits } from './config.js';
import { encodedSampleSize } from './encode.js';
import type { SampleColumns, SeriesRange, WriteBatch } from './model.js';
import { batchOf, subRange } from './write-batch.js';

// Tag and an upper bound of the length varint of a TimeSeries entry (requests stay far below 2^28 bytes).
const SERIES_HEADER_BYTES = 1 + 4;

export interface SplitResult {
  readonly batches: WriteBatch[];
  /** For each batch, the earlier batches that must be written before it. */
  readonly after: number[][];
}

// A plain function, not a closure: a closure is a new function per call, which made V8 throw away the caller's
// optimised code on every batch ("wrong call target").
function closeBatch(
  result: SplitResult,
  columns: SampleColumns,
  chunks: SeriesRange[],
  chunkCount: number,
  prerequisites: ReadonlySet<number>,
): void {
  // A copy at its exact length: `chunks` is reused for the next request, so it grows only once a call.
  result.batches.push(batchOf(columns, chunks.slice(0, chunkCount)));
  result.after.push([...prerequisites].sort((a, b) => a - b));
}

/**
 * Packs series into requests one series at a time (see splitIntoBatches). A class with a method per series, not
 * one long loop: V8 compiled the loop on the stack before any request had filled, and then threw that code away at
 * the first full request, batch after batch.
 */
class RequestSplitter {
  readonly result: SplitResult = { batches: [], after: [] };
  private readonly chunks: SeriesRange[] = [];
  private chunkCount = 0;
  /** Samples and estimated bytes of the request being filled. */
  private count = 0;
  private bytes = 0;
  private prerequisites = new Set<number>();
  private readonly maxSamples: number;
  private readonly maxBytes: number;

  constructor(
    private readonly columns: SampleColumns,
    limits: RequestLimits,
  ) {
    this.maxSamples = Math.max(1, limits.maxSamplesPerRequest);
    this.maxBytes = limits.maxBytesPerRequest;
  }

  /** Adds the samples of series `s`, continuing it in the next request where this one is full. */
  add(s: SeriesRange): void {
    const { maxSamples, maxBytes } = this;
    const timestamps = this.columns.timestampMs;
    const header = SERIES_HEADER_BYTES + s.fieldsEnd - s.fieldsStart;
    let start = s.start;
    let open = false; // whether a chunk of this series is open in the current request
    let lastBatch = -1; // the request that holds this series' previous chunk
    // Ranges ascend by time, so when the first and the last sample take the same bytes, all do, and a run of
    // samples can be counted at once instead of one by one.
    const firstSize = encodedSampleSize(timestamps[s.start]!);
    const uniform =
      timestamps[s.start]! >= 0 && encodedSampleSize(timestamps[s.end - 1]!) === firstSize ? firstSize : 0;
    for (let i = s.start; i < s.end; i++) {
      const size = encodedSampleSize(timestamps[i]!);
      const extra = open ? size : header + size;
      if (this.count > 0 && (this.count + 1 > maxSamples || this.bytes + extra > maxBytes)) {
        if (open) {
          this.chunks[this.chunkCount++] = subRange(s, start, i);
          start = i;
          lastBatch = this.result.batches.length;
        }
        this.close();
        open = false;
      }
      if (!open) {
        this.bytes += header;
        if (lastBatch >= 0) this.prerequisites.add(lastBatch);
        open = true;
      }
      this.bytes += size;
      this.count++;
      if (uniform > 0 && i + 1 < s.end) {
        // The next samples that still fit this request, by count and by bytes: each would pass the check above.
        const take = Math.min(
          s.end - i - 1,
          maxSamples - this.count,
          Math.floor((maxBytes - this.bytes) / uniform),
        );
        if (take > 0) {
          this.count += take;
          this.bytes += take * uniform;
          i += take;
        }
      }
    }
    if (open) this.chunks[this.chunkCount++] = start === s.start ? s : subRange(s, start, s.end);
  }

  /** Ends the request being filled, if it holds anything; the next sample starts another. */
  close(): void {
    if (this.chunkCount > 0) {
      closeBatch(this.result, this.columns, this.chunks, this.chunkCount, this.prerequisites);
      this.chunkCount = 0;
      this.prerequisites = new Set();
    }
    this.count = 0;
    this.bytes = 0;
  }
}

/** The loop alone, with nothing after it that V8's code compiled on the stack could meet without feedback. */
function addEach(splitter: RequestSplitter, series: readonly SeriesRange[]): void {
  for (let k = 0; k < series.length; k++) splitter.add(series[k]!);
}

/** Packs series into requests in order; never more than `maxSamplesPerRequest` samples or (but for a single
 * sample that alone exceeds it) `maxBytesPerRequest` encoded bytes per request. */
export function splitIntoBatches(
  columns: SampleColumns,
  series: readonly SeriesRange[],
  limits: RequestLimits,
): SplitResult {
  const splitter = new RequestSplitter(columns, limits);
  addEach(splitter, series);
  splitter.close();
  return splitter.result;
}

/**
 * Splits a batch in two halves by time, to isolate the samples a receiver rejects: every series' samples in the
 * left half are older than its samples in the right half, so sending left, then right, keeps per-series order.
 * Returns undefined for a batch of one sample, which cannot be split.
 */
export function bisectBatch(batch: WriteBatch): [WriteBatch, WriteBatch] | undefined {
  if (batch.sampleCount < 2) return undefined;
  const { columns } = batch;
  const timestamps = columns.timestampMs;
  const order: Array<{ series: number; timestampMs: number }> = [];
  batch.series.forEach((s, series) => {
    for (let k = s.start; k < s.end; k++) order.push({ series, timestampMs: timestamps[k]! });
  });
  order.sort((a, b) => a.timestampMs - b.timestampMs || a.series - b.series);
  // Samples of one series have distinct timestamps, so the left half holds a prefix of each series.
  const leftCounts = new Array<number>(batch.series.length).fill(0);
  const half = Math.floor(order.length / 2);
  for (let i = 0; i < half; i++) leftCounts[(order[i] as { series: number }).series]!++;
  const left: SeriesRange[] = [];
  const right: SeriesRange[] = [];
  batch.series.forEach((s, index) => {
    const split = s.start + (leftCounts[index] as number);
    if (split > s.start) left.push(subRange(s, s.start, split));
    if (split < s.end) right.push(subRange(s, split, s.end));
  });
  return [batchOf(columns, left), batchOf(columns, right)];
}
