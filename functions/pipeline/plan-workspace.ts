// The buffers one planner reuses from batch to batch. Planning is synchronous and nothing in here outlives a
// planBatch call, so reusing them is safe; allocating and zeroing a megabyte of typed arrays per batch is not free.
import { ObjectScanner } from './decode/object-scanner.js';
import { ScannedObject } from './decode/scanned-object.js';
import type { SeriesIdentity } from './model.js';
import { SampleTable } from './sample-table.js';
import type { LabelSet } from './series-cache.js';
import { GroupScratch } from './series.js';

export class PlanWorkspace {
  /** The normalised samples of the batch being planned. */
  readonly table = new SampleTable(16 * 1024);
  readonly scanner = new ObjectScanner();
  /** What the scanner found in the message being added. */
  readonly scanned = new ScannedObject<LabelSet, SeriesIdentity>();
  /** The series of the scanned message's samples, collected to learn a template; longer than one message's. */
  readonly resolvedSeries: SeriesIdentity[] = [];
  readonly grouping = new GroupScratch();
  /** The series ids of the scanned message's samples, before they become rows. */
  private ids = new Int32Array(64);

  /** Room for the series ids of `count` samples (valid until the next call). */
  rowSeries(count: number): Int32Array {
    if (this.ids.length < count) this.ids = new Int32Array(Math.max(count, this.ids.length * 2));
    return this.ids;
  }
}
