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

// A plain function, not a closure in splitIntoBatches: a closure is a new function per call, which made V8
// throw away splitIntoBatches' optimised code on every batch ("wrong call target").
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

/** Packs series into requests in order; never more than `maxSamplesPerRequest` samples or (but for a single
 * sample that alone exceeds it) `maxBytesPerRequest` encoded bytes per request. */
export function splitIntoBatches(
  columns: SampleColumns,
  series: readonly SeriesRange[],
  limits: RequestLimits,
): SplitResult {
  const maxSamples = Math.max(1, limits.maxSamplesPerRequest);
  const maxBytes = limits.maxBytesPerRequest;
  const timestamps = columns.timestampMs;
  const result: SplitResult = { batches: [], after: [] };
  const batches = result.batches;
  const chunks: SeriesRange[] = [];
  let chunkCount = 0;
  let count = 0;
  let bytes = 0;
  let prerequisites = new Set<number>();

  for (let k = 0; k < series.length; k++) {
    const s = series[k]!;
    const header = SERIES_HEADER_BYTES + s.fieldsEnd - s.fieldsStart;
    let start = s.start;
    let open = false; // whether a chunk of this series is open in the current batch
    let lastBatch = -1; // the batch that holds this series' previous chunk
    // Ranges ascend by time, so when the first and the last sample take the same bytes, all do, and a run of
    // samples can be counted at once instead of one by one.
    const firstSize = encodedSampleSize(timestamps[s.start]!);
    const uniform =
      timestamps[s.start]! >= 0 && encodedSampleSize(timestamps[s.end - 1]!) === firstSize ? firstSize : 0;
    for (let i = s.start; i < s.end; i++) {
      const size = encodedSampleSize(timestamps[i]!);
      const extra = open ? size : header + size;
      if (count > 0 && (count + 1 > maxSamples || bytes + extra > maxBytes)) {
        if (open) {
          chunks[chunkCount++] = subRange(s, start, i);
          start = i;
          lastBatch = batches.length;
        }
        if (chunkCount > 0) {
          closeBatch(result, columns, chunks, chunkCount, prerequisites);
          chunkCount = 0;
          prerequisites = new Set();
        }
        count = 0;
        bytes = 0;
        open = false;
      }
      if (!open) {
        bytes += header;
        if (lastBatch >= 0) prerequisites.add(lastBatch);
        open = true;
      }
      bytes += size;
      count++;
      if (uniform > 0 && i + 1 < s.end) {
        // The next samples that still fit this request, by count and by bytes: each would pass the check above.
        const take = Math.min(s.end - i - 1, maxSamples - count, Math.floor((maxBytes - bytes) / uniform));
        if (take > 0) {
          count += take;
          bytes += take * uniform;
          i += take;
        }
      }
    }
    if (open) chunks[chunkCount++] = start === s.start ? s : subRange(s, start, s.end);
  }
  if (chunkCount > 0) closeBatch(result, columns, chunks, chunkCount, prerequisites);
  return result;
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
