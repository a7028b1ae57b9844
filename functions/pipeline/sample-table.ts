// The normalised samples of one batch, before grouping: one row per decoded sample, in batch order, kept in
// growable typed arrays instead of one object per sample (fewer allocations, nothing for the garbage collector
// to trace or copy).

import { grown } from './grow.js';

const INITIAL_CAPACITY = 1024;

export class SampleTable {
  /** Rows in use; the arrays may be longer. */
  length = 0;
  /** SeriesIdentity.id of each row. */
  series: Int32Array;
  timestampMs: Float64Array;
  value: Float64Array;
  /** 1 for a staleness marker. */
  stale: Uint8Array;
  /** Index of the message in the batch. */
  message: Int32Array;

  constructor(capacity = INITIAL_CAPACITY) {
    const size = Math.max(1, capacity);
    this.series = new Int32Array(size);
    this.timestampMs = new Float64Array(size);
    this.value = new Float64Array(size);
    this.stale = new Uint8Array(size);
    this.message = new Int32Array(size);
  }

  /** Makes room for `extra` more rows, for callers that write the columns directly. */
  reserve(extra: number): void {
    while (this.length + extra > this.series.length) this.grow();
  }

  push(series: number, timestampMs: number, value: number, stale: boolean, message: number): void {
    const row = this.length;
    if (row === this.series.length) this.grow();
    this.series[row] = series;
    this.timestampMs[row] = timestampMs;
    this.value[row] = value;
    this.stale[row] = stale ? 1 : 0;
    this.message[row] = message;
    this.length = row + 1;
  }

  /** Empties the table, keeping its arrays for the next batch. */
  clear(): void {
    this.length = 0;
  }

  /** Drops the rows from `length` on (a message turned out invalid after some of its samples were added). */
  truncate(length: number): void {
    if (length < this.length) this.length = length;
  }

  private grow(): void {
    const size = this.series.length * 2;
    this.series = grown(this.series, size);
    this.timestampMs = grown(this.timestampMs, size);
    this.value = grown(this.value, size);
    this.stale = grown(this.stale, size);
    this.message = grown(this.message, size);
  }
}
