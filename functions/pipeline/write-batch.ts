// Building WriteBatches over SampleColumns, and reading them back as plain objects (for tests, tools and error
// reports; the hot path never materialises per-sample objects).
import { encodeLabelFields } from './encode.js';
import type { Label, SampleColumns, SeriesRange, SeriesSample, WriteBatch } from './model.js';
import { GroupedRange } from './grouped-range.js';

// The inner loops of batchOf are functions of their own: V8 (Maglev) compiled the nested loop for on-stack entry
// at the inner loop and then left that code at every exit from it, once per series.

/** The highest message of messages[from, to), or `highest` when none is higher. */
function highestOf(messages: Int32Array, from: number, to: number, highest: number): number {
  for (let c = from; c < to; c++) if (messages[c]! > highest) highest = messages[c]!;
  return highest;
}

function mark(seen: Uint8Array, messages: Int32Array, from: number, to: number): void {
  for (let c = from; c < to; c++) seen[messages[c]!] = 1;
}

// batchOf's loops are functions of their own too: V8 compiled the first on the stack, before the code after it had
// run, and threw that code away there.

function sampleCountOf(series: readonly SeriesRange[]): number {
  let sampleCount = 0;
  for (let k = 0; k < series.length; k++) sampleCount += series[k]!.end - series[k]!.start;
  return sampleCount;
}

function highestMessageOf(columns: SampleColumns, series: readonly SeriesRange[]): number {
  const { messageStart, messages } = columns;
  let highest = -1;
  for (let k = 0; k < series.length; k++) {
    const range = series[k]!;
    highest = highestOf(messages, messageStart[range.start]!, messageStart[range.end]!, highest);
  }
  return highest;
}

function markAll(seen: Uint8Array, columns: SampleColumns, series: readonly SeriesRange[]): void {
  const { messageStart, messages } = columns;
  for (let k = 0; k < series.length; k++) {
    const range = series[k]!;
    mark(seen, messages, messageStart[range.start]!, messageStart[range.end]!);
  }
}

function marked(seen: Uint8Array): number[] {
  const list: number[] = [];
  for (let message = 0; message < seen.length; message++) if (seen[message] === 1) list.push(message);
  return list;
}

/** A batch of the given ranges of `columns`, with its sample count and the sorted list of its messages. */
export function batchOf(columns: SampleColumns, series: readonly SeriesRange[]): WriteBatch {
  // Marks instead of a Set and a sort: message indexes are small dense integers.
  const seen = new Uint8Array(highestMessageOf(columns, series) + 1);
  markAll(seen, columns, series);
  return { columns, series, sampleCount: sampleCountOf(series), messages: marked(seen) };
}

/** The samples [start, end) of the series `range` belongs to, as a range of the same kind. */
export function subRange(range: SeriesRange, start: number, end: number): SeriesRange {
  // A one-off range decodes its labels only when they are read, and this does not read them.
  if (range instanceof GroupedRange) return range.sub(start, end);
  const { labels, fields, fieldsStart, fieldsEnd, first } = range;
  return { labels, fields, fieldsStart, fieldsEnd, first, start, end };
}

/** The samples of one range as objects. */
export function samplesOf(columns: SampleColumns, range: Pick<SeriesRange, 'start' | 'end'>): SeriesSample[] {
  const out: SeriesSample[] = [];
  for (let k = range.start; k < range.end; k++) {
    out.push({
      timestampMs: columns.timestampMs[k]!,
      value: columns.value[k]!,
      stale: columns.stale[k] === 1,
      messages: Array.from(columns.messages.subarray(columns.messageStart[k]!, columns.messageStart[k + 1]!)),
    });
  }
  return out;
}

/** A plain description of one series of a batch, as tests and tools write it. */
export interface PlainSeries {
  readonly labels: readonly Label[];
  readonly samples: ReadonlyArray<{
    readonly timestampMs: number;
    readonly value: number;
    readonly stale?: boolean;
    /** @default [0] */
    readonly messages?: readonly number[];
  }>;
}

/** A WriteBatch holding exactly the given series and samples, in the order given (nothing is sorted or checked). */
export function writeBatchOf(series: readonly PlainSeries[]): WriteBatch {
  let total = 0;
  let contributorTotal = 0;
  for (const s of series) {
    total += s.samples.length;
    for (const sample of s.samples) contributorTotal += (sample.messages ?? [0]).length;
  }
  const columns: SampleColumns = {
    timestampMs: new Float64Array(total),
    value: new Float64Array(total),
    stale: new Uint8Array(total),
    messageStart: new Int32Array(total + 1),
    messages: new Int32Array(contributorTotal),
  };
  const ranges: SeriesRange[] = [];
  let k = 0;
  let c = 0;
  for (const s of series) {
    const start = k;
    for (const sample of s.samples) {
      columns.timestampMs[k] = sample.timestampMs;
      columns.value[k] = sample.value;
      columns.stale[k] = sample.stale === true ? 1 : 0;
      for (const message of sample.messages ?? [0]) columns.messages[c++] = message;
      k++;
      columns.messageStart[k] = c;
    }
    const fields = encodeLabelFields(s.labels);
    ranges.push({
      labels: s.labels,
      fields,
      fieldsStart: 0,
      fieldsEnd: fields.length,
      first: start,
      start,
      end: k,
    });
  }
  return batchOf(columns, ranges);
}

/** A batch as plain series, the inverse of writeBatchOf. */
export function plainSeriesOf(
  batch: WriteBatch,
): Array<{ labels: readonly Label[]; samples: SeriesSample[] }> {
  return batch.series.map((range) => ({ labels: range.labels, samples: samplesOf(batch.columns, range) }));
}
