// Grouping into series: samples with the same label set form a series, sorted by millisecond timestamp, with
// exact duplicates (same timestamp, same value) sent once.
//
// Conflicts (same series and timestamp, different value) cannot all be written: receivers answer 400
// "duplicate sample for timestamp" to the second. The rule: the sample of the message SQS received last
// (highest SentTimestamp) wins; between messages sent in the same millisecond, the one later in the batch wins.
// The losing messages are still tied to the winning sample, so they are acknowledged only once it is written.
import { fieldsHash, sameBytes } from './label-fields.js';
import type { SampleColumns, Series, SeriesIdentity, SourceMessage } from './model.js';
import { GroupedRange } from './grouped-range.js';
import { NO_ONE_OFF_SERIES, type OneOffColumns } from './one-off-series.js';
import type { SampleTable } from './sample-table.js';
import { SeriesFieldTable, type SeriesFieldColumns } from './series-bytes.js';

export interface SeriesStats {
  /** Samples dropped because an identical sample (same series, timestamp and value) was already kept. */
  readonly duplicatesDropped: number;
  /** Samples dropped because another value for the same series and timestamp won. */
  readonly conflictsDropped: number;
}

/** Working arrays of groupSeries, kept between calls by their owner: counts by series id must start at 0, and
 * groupSeries leaves them so. */
export class GroupScratch {
  count = new Int32Array(0);
  offset = new Int32Array(0);
  next = new Int32Array(0);
  order = new Int32Array(0);
  /** Series ids in order of first appearance (the first `seen` entries). */
  firstSeen = new Int32Array(0);
  /** The series each series id is merged into (itself when none), while equal label sets are merged. */
  alias = new Int32Array(0);
  /** Open-addressing slots of the merge: a series id (-1: empty) and its hash. */
  slots = new Int32Array(0);
  slotHashes = new Int32Array(0);

  /** Makes room for `seriesCount` series ids and `rows` rows. */
  reserve(seriesCount: number, rows: number): this {
    if (this.count.length < seriesCount) {
      const size = Math.max(seriesCount, this.count.length * 2);
      this.count = new Int32Array(size);
      this.offset = new Int32Array(size);
      this.next = new Int32Array(size);
      this.alias = new Int32Array(size);
      this.firstSeen = new Int32Array(size);
    }
    if (this.order.length < rows) this.order = new Int32Array(Math.max(rows, this.order.length * 2));
    return this;
  }

  /** The output columns of the last grouping, and whether its plan still holds them (see output). */
  private columns: OutputColumns | undefined;
  private columnsLent = false;

  /**
   * Output columns for `rows` samples, lent to the plan until releaseOutput: reused when the last plan released
   * them, since fresh memory per batch costs page faults that took longer than grouping itself.
   */
  output(rows: number): OutputColumns {
    if (this.columns === undefined || this.columnsLent || this.columns.timestampMs.length < rows) {
      const size = Math.max(1, rows);
      this.columns = {
        timestampMs: new Float64Array(size),
        value: new Float64Array(size),
        stale: new Uint8Array(size),
        messageStart: new Int32Array(size + 1),
        contributors: new Int32Array(size),
        ranges: [],
      };
    }
    this.columns.messageStart[0] = 0;
    this.columnsLent = true;
    return this.columns;
  }

  /** The plan grouped into `columns` is done with them. */
  releaseOutput(timestampMs: Float64Array): void {
    if (this.columns !== undefined && timestampMs.buffer === this.columns.timestampMs.buffer)
      this.columnsLent = false;
  }

  /** Empty merge slots for `entries` series, at most half full. */
  mergeSlots(entries: number): Int32Array {
    let size = 64;
    while (size < 2 * entries) size *= 2;
    if (this.slots.length < size) {
      this.slots = new Int32Array(size);
      this.slotHashes = new Int32Array(size);
    }
    const slots = this.slots.subarray(0, size);
    slots.fill(-1);
    return slots;
  }
}

/** The arrays grouped samples are written to (SampleColumns before they are cut to length). */
interface OutputColumns {
  readonly timestampMs: Float64Array;
  readonly value: Float64Array;
  readonly stale: Uint8Array;
  readonly messageStart: Int32Array;
  readonly contributors: Int32Array;
  /**
   * The series' ranges, lent and released with the columns: made once and set again for every batch, since tens
   * of thousands of new objects a batch lived until delivery and cost the young generation's collector copies.
   */
  readonly ranges: GroupedRange[];
}

export interface GroupedSeries {
  /** In order of first appearance in the batch; series left without samples are omitted. */
  readonly series: Series[];
  readonly columns: SampleColumns;
  readonly stats: SeriesStats;
}

/** The label fields of `identities` in columns, for a caller without a series cache's own (tests). */
export function fieldColumnsOf(identities: readonly SeriesIdentity[]): SeriesFieldColumns {
  const table = new SeriesFieldTable();
  identities.forEach((identity, id) => {
    const fields = identity.encodedLabels;
    table.set(id, fields, 0, fields.length, identity.hash ?? fieldsHash(fields, 0, fields.length));
  });
  return table;
}

/**
 * The series a batch's rows name: identities by id (their label fields in `fields`), and one-off series k as row id
 * ~k (a negative number).
 */
class BatchSeries {
  readonly base: number;
  constructor(
    readonly identities: readonly SeriesIdentity[],
    readonly fields: SeriesFieldColumns,
    readonly oneOff: OneOffColumns,
  ) {
    this.base = identities.length;
  }

  /** The dense id (from 0) of a row's series id. */
  idOf(raw: number): number {
    return raw < 0 ? this.base + ~raw : raw;
  }

  hashOf(id: number): number {
    return id < this.base ? this.fields.hash[id]! : this.oneOff.hash[id - this.base]!;
  }

  /** Whether series a and b have the same label fields (so the same labels: the encoding is canonical). */
  sameFields(a: number, b: number): boolean {
    return sameBytes(
      this.bytesOf(a),
      this.startOf(a),
      this.endOf(a),
      this.bytesOf(b),
      this.startOf(b),
      this.endOf(b),
    );
  }

  private bytesOf(id: number): Uint8Array {
    return id < this.base ? this.fields.slab[id]! : this.oneOff.bytes;
  }

  private startOf(id: number): number {
    return id < this.base ? this.fields.start[id]! : this.oneOff.start[id - this.base]!;
  }

  private endOf(id: number): number {
    return id < this.base ? this.fields.end[id]! : this.oneOff.end[id - this.base]!;
  }

  /** Sets `range` to series `id` in the output, samples [start, end); returns it. */
  rangeOf(id: number, start: number, end: number, range: GroupedRange): GroupedRange {
    if (id >= this.base) {
      const k = id - this.base;
      const { bytes, start: fieldsStart, end: fieldsEnd } = this.oneOff;
      return range.set(undefined, bytes, fieldsStart[k]!, fieldsEnd[k]!, start, start, end);
    }
    // The identity is only passed along (for its labels, when asked): its object is not reached here.
    const { slab, start: fieldsStart, end: fieldsEnd } = this.fields;
    return range.set(this.identities[id], slab[id]!, fieldsStart[id]!, fieldsEnd[id]!, start, start, end);
  }
}

/**
 * Merges series of equal label sets among firstSeen[0, seen) (a one-off series and a cached one, or two one-off
 * ones): the later one's rows count as the earlier one's, and it leaves firstSeen. Returns how many stay; when
 * fewer than `seen`, alias[id] names the series each id became.
 */
function mergeEqualSeries(
  firstSeen: Int32Array,
  seen: number,
  all: BatchSeries,
  scratch: GroupScratch,
): number {
  const { count, alias } = scratch;
  const slots = scratch.mergeSlots(seen);
  const hashes = scratch.slotHashes;
  const mask = slots.length - 1;
  let kept = 0;
  for (let k = 0; k < seen; k++) {
    const id = firstSeen[k]!;
    alias[id] = id;
    const hash = all.hashOf(id);
    let slot = hash & mask;
    for (;;) {
      const other = slots[slot]!;
      if (other < 0) {
        slots[slot] = id;
        hashes[slot] = hash;
        firstSeen[kept++] = id;
        break;
      }
      if (hashes[slot] === hash && all.sameFields(other, id)) {
        alias[id] = other;
        count[other]! += count[id]!;
        count[id] = 0;
        break;
      }
      slot = (slot + 1) & mask;
    }
  }
  return kept;
}

// orderBySeries' loops are functions of their own: V8 compiled the first loop on the stack before the later ones
// had run, and then threw that code away at the first of them, batch after batch.

/** Counts each series' rows in `count` and lists the series in order of first appearance; returns how many. */
function countRows(table: SampleTable, all: BatchSeries, count: Int32Array, firstSeen: Int32Array): number {
  const rowSeries = table.series;
  const n = table.length;
  let seen = 0;
  for (let row = 0; row < n; row++) {
    const id = all.idOf(rowSeries[row]!);
    if (count[id]++ === 0) firstSeen[seen++] = id;
  }
  return seen;
}

/** Sets where the rows of each series firstSeen[0, distinct) start, in `offset` and in `next`. */
function placeSeries(
  firstSeen: Int32Array,
  distinct: number,
  count: Int32Array,
  offset: Int32Array,
  next: Int32Array,
): void {
  let total = 0;
  for (let k = 0; k < distinct; k++) {
    const id = firstSeen[k]!;
    offset[id] = total;
    next[id] = total;
    total += count[id]!;
  }
}

/** Writes each row at the next place of its series (alias[id] for a merged series when `merged`). */
function scatterRows(
  table: SampleTable,
  all: BatchSeries,
  order: Int32Array,
  next: Int32Array,
  alias: Int32Array,
  merged: boolean,
): void {
  const rowSeries = table.series;
  const n = table.length;
  for (let row = 0; row < n; row++) {
    const id = all.idOf(rowSeries[row]!);
    order[next[merged ? alias[id]! : id]!++] = row;
  }
}

/** Clears the counts of the series firstSeen[0, distinct) for the next batch. */
function clearCounts(firstSeen: Int32Array, distinct: number, count: Int32Array): void {
  for (let k = 0; k < distinct; k++) count[firstSeen[k]!] = 0;
}

/**
 * The table's rows ordered by series by a stable counting sort: the rows of each series together, in batch order,
 * series in order of first appearance; the rows of series firstSeen[k] are order[offset[id], end[id]).
 */
function orderBySeries(
  table: SampleTable,
  all: BatchSeries,
  scratch: GroupScratch,
): { firstSeen: Int32Array; order: Int32Array; offset: Int32Array; end: Int32Array } {
  const { count, offset, next, order, alias, firstSeen } = scratch.reserve(
    all.base + all.oneOff.count,
    table.length,
  );
  const seen = countRows(table, all, count, firstSeen);
  // Only one-off series can repeat a label set: without them the cache's identities are distinct.
  const distinct = all.oneOff.count > 0 ? mergeEqualSeries(firstSeen, seen, all, scratch) : seen;
  placeSeries(firstSeen, distinct, count, offset, next);
  scatterRows(table, all, order, next, alias, distinct < seen);
  clearCounts(firstSeen, distinct, count);
  // The scatter left next[id] at the end of each series' rows.
  return { firstSeen: firstSeen.subarray(0, distinct), order, offset, end: next };
}

/**
 * Writes the kept samples of one series after another into the output columns. A class with a method per
 * series, not one long function: V8 optimises a long function in the middle of its first loop and then throws
 * that code away at the first line the loop had not reached yet, on every batch.
 */
class SeriesWriter {
  readonly timestampMs: Float64Array;
  readonly value: Float64Array;
  readonly stale: Uint8Array;
  readonly messageStart: Int32Array;
  readonly contributors: Int32Array;
  readonly ranges: GroupedRange[];
  kept = 0;
  contributorCount = 0;
  duplicatesDropped = 0;
  conflictsDropped = 0;

  constructor(
    private readonly table: SampleTable,
    private readonly order: Int32Array,
    private readonly messages: readonly SourceMessage[],
    columns: OutputColumns,
  ) {
    this.timestampMs = columns.timestampMs;
    this.value = columns.value;
    this.stale = columns.stale;
    this.messageStart = columns.messageStart;
    this.contributors = columns.contributors;
    this.ranges = columns.ranges;
  }

  /** Sorts, de-duplicates and writes the rows order[from, to) of one series. */
  write(from: number, to: number): void {
    const { order, table } = this;
    const rowTime = table.timestampMs;
    const rowValue = table.value;
    const rowStale = table.stale;
    const rowMessage = table.message;
    // Devices mostly report in order, so sorting is usually skipped. Ties keep batch order (rows ascend).
    for (let i = from + 1; i < to; i++) {
      if (rowTime[order[i - 1]!]! > rowTime[order[i]!]!) {
        const sorted = Array.from(order.subarray(from, to));
        sorted.sort((a, b) => rowTime[a]! - rowTime[b]! || a - b);
        order.set(sorted, from);
        break;
      }
    }
    const { timestampMs, value, stale, messageStart, contributors } = this;
    let kept = this.kept;
    let contributorCount = this.contributorCount;
    let i = from;
    while (i < to) {
      const first = order[i]!;
      const time = rowTime[first]!;
      let j = i + 1;
      while (j < to && rowTime[order[j]!] === time) j++;
      let winner = first;
      if (j - i > 1) {
        winner = this.resolve(i, j);
        contributorCount = this.addContributors(i, j, contributorCount);
      } else {
        contributors[contributorCount++] = rowMessage[first]!;
      }
      timestampMs[kept] = time;
      value[kept] = rowValue[winner]!;
      stale[kept] = rowStale[winner]!;
      kept++;
      messageStart[kept] = contributorCount;
      i = j;
    }
    this.kept = kept;
    this.contributorCount = contributorCount;
  }

  /**
   * Several samples at one timestamp, order[i, j): the latest message's value wins (SentTimestamp, then batch
   * position); the others are exact duplicates of it or lost conflicts. Returns the winning row.
   */
  private resolve(i: number, j: number): number {
    const { order, table, messages } = this;
    const rowValue = table.value;
    const rowStale = table.stale;
    const rowMessage = table.message;
    const sent = (row: number): number => messages[rowMessage[row]!]?.sentTimestampMs ?? 0;
    let winner = order[i]!;
    for (let k = i + 1; k < j; k++) {
      const row = order[k]!;
      const sentRow = sent(row);
      const sentWinner = sent(winner);
      if (sentRow !== sentWinner ? sentRow > sentWinner : rowMessage[row]! > rowMessage[winner]!)
        winner = row;
    }
    for (let k = i; k < j; k++) {
      const row = order[k]!;
      if (row === winner) continue;
      // Exact duplicates are what receivers accept twice: the same float bits. Object.is tells 0 from -0 and
      // treats NaN as equal to NaN; stale markers differ from every ordinary value.
      const same =
        rowStale[row] === rowStale[winner] &&
        (rowStale[row] === 1 || Object.is(rowValue[row], rowValue[winner]));
      if (same) this.duplicatesDropped++;
      else this.conflictsDropped++;
    }
    return winner;
  }

  /** Every message of the rows order[i, j), once and ascending; returns the new contributor count. */
  private addContributors(i: number, j: number, contributorCount: number): number {
    const contributed: number[] = [];
    for (let k = i; k < j; k++) contributed.push(this.table.message[this.order[k]!]!);
    contributed.sort((a, b) => a - b);
    let previous = -1;
    for (const message of contributed) {
      if (message !== previous) this.contributors[contributorCount++] = message;
      previous = message;
    }
    return contributorCount;
  }
}

/**
 * Writes every series through `writer`, in firstSeen order. A function of its own, so that V8's optimised code for
 * the loop has nothing after it that the loop had not reached (that code was thrown away on every batch).
 */
function writeAll(
  writer: SeriesWriter,
  all: BatchSeries,
  firstSeen: Int32Array,
  offset: Int32Array,
  end: Int32Array,
): Series[] {
  // At its final length at once: growing it by push() copied it over and over (a large fleet has a series per sample).
  const series = new Array<Series>(firstSeen.length);
  const ranges = writer.ranges;
  for (let k = 0; k < firstSeen.length; k++) {
    const id = firstSeen[k]!;
    const start = writer.kept;
    writer.write(offset[id]!, end[id]!);
    if (k === ranges.length) ranges.push(new GroupedRange());
    series[k] = all.rangeOf(id, start, writer.kept, ranges[k]!);
  }
  return series;
}

/**
 * Groups the table's rows into series, each strictly ascending by timestamp. `identities[id]` is the series of
 * rows whose `series` column holds `id`, and oneOff's series k that of rows holding ~k; `messages` gives the
 * SentTimestamp used to resolve conflicts. A caller that groups batch after batch passes its own `scratch` to
 * reuse the working arrays. `fields`: the identities' label fields by id, as the series cache keeps them (built
 * from the identities when not given).
 */
export function groupSeries(
  table: SampleTable,
  identities: readonly SeriesIdentity[],
  messages: readonly SourceMessage[],
  scratch: GroupScratch = new GroupScratch(),
  oneOff: OneOffColumns = NO_ONE_OFF_SERIES,
  fields: SeriesFieldColumns = fieldColumnsOf(identities),
): GroupedSeries {
  const all = new BatchSeries(identities, fields, oneOff);
  const { firstSeen, order, offset, end } = orderBySeries(table, all, scratch);
  const writer = new SeriesWriter(table, order, messages, scratch.output(table.length));
  const series = writeAll(writer, all, firstSeen, offset, end);
  const kept = writer.kept;
  return {
    series,
    columns: {
      timestampMs: writer.timestampMs.subarray(0, kept),
      value: writer.value.subarray(0, kept),
      stale: writer.stale.subarray(0, kept),
      messageStart: writer.messageStart.subarray(0, kept + 1),
      messages: writer.contributors.subarray(0, writer.contributorCount),
    },
    stats: { duplicatesDropped: writer.duplicatesDropped, conflictsDropped: writer.conflictsDropped },
  };
}
