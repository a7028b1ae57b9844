// A number per series of a plan, for the delivery's bookkeeping. A series is named by its columns and the index of
// its first sample there (SeriesRange.first), so a batch of tens of thousands of series costs an array write per
// series instead of a map entry keyed by an object.
import type { SampleColumns, SeriesRange } from '../../pipeline/model.js';

export class SeriesNumbers {
  /** One array per columns object: a plan has one; tests may deliver batches with columns of their own. */
  private readonly byColumns = new Map<SampleColumns, Int32Array>();
  /** The columns asked for last and their numbers: a plan's batches share one columns object. */
  private lastColumns: SampleColumns | undefined;
  private lastNumbers: Int32Array = new Int32Array(0);

  constructor(private readonly unset: number) {}

  get(columns: SampleColumns, series: SeriesRange): number {
    return this.of(columns)[series.first]!;
  }

  set(columns: SampleColumns, series: SeriesRange, value: number): void {
    this.of(columns)[series.first] = value;
  }

  /** The numbers of the series of `columns`, indexed by SeriesRange.first: for a loop over a batch's series. */
  of(columns: SampleColumns): Int32Array {
    if (columns === this.lastColumns) return this.lastNumbers;
    let numbers = this.byColumns.get(columns);
    if (numbers === undefined) {
      numbers = new Int32Array(columns.timestampMs.length).fill(this.unset);
      this.byColumns.set(columns, numbers);
    }
    this.lastColumns = columns;
    this.lastNumbers = numbers;
    return numbers;
  }
}
