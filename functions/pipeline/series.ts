// Grouping into series: samples with the same label set form a series, sorted by millisecond timestamp, with
// exact duplicates (same timestamp, same value) sent once.
//
// Conflicts (same series and timestamp, different value) cannot all be written: receivers answer 400
// "duplicate sample for timestamp" to the second. The rule: the sample of the message SQS received last
// (highest SentTimestamp) wins; between messages sent in the same millisecond, the one later in the batch wins.
// The losing messages are still tied to the winning sample, so they are acknowledged only once it is written.
import type { SampleColumns, Series, SeriesIdentity, SourceMessage } from './model.js';
import type { SampleTable } from './sample-table.js';

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

  /** Makes room for `seriesCount` series ids and `rows` rows. */
  reserve(seriesCount: number, rows: number): this {
    if (this.count.length < seriesCount) {
      const size = Math.max(seriesCount, this.count.length * 2);
      this.count = new Int32Array(size);
      this.offset = new Int32Array(size);
      this.next = new Int32Array(size);
    }
    if (this.order.length < rows) this.order = new Int32Array(Math.max(rows, this.order.length * 2));
    return this;
  }
}

export interface GroupedSeries {
  /** In order of first appearance in the batch; series left without samples are omitted. */
  readonly series: Series[];
  readonly columns: SampleColumns;
  readonly stats: SeriesStats;
}

/**
 * The table's rows ordered by series by a stable counting sort: the rows of each series together, in batch order,
 * series in order of first appearance; the rows of series firstSeen[k] are order[offset[id], end[id]).
 */
function orderBySeries(
  table: SampleTable,
  seriesCount: number,
  scratch: GroupScratch,
): { firstSeen: number[]; order: Int32Array; offset: Int32Array; end: Int32Array } {
  const n = table.length;
  const rowSeries = table.series;
  const { count, offset, next, order } = scratch.reserve(seriesCount, n);
  const firstSeen: number[] = [];
  for (let row = 0; row < n; row++) {
    const id = rowSeries[row]!;
    if (count[id]++ === 0) firstSeen.push(id);
  }
  let total = 0;
  // Indexed loops here and below: a for-of allocates an iterator result per step until V8 optimises the loop.
  for (let k = 0; k < firstSeen.length; k++) {
    const id = firstSeen[k]!;
    offset[id] = total;
    next[id] = total;
    total += count[id]!;
  }
  for (let row = 0; row < n; row++) order[next[rowSeries[row]!]!++] = row;
  // Only the counts of this batch's series were set: clear them for the next batch.
  for (let k = 0; k < firstSeen.length; k++) count[firstSeen[k]!] = 0;
  // The scatter left next[id] at the end of each series' rows.
  return { firstSeen, order, offset, end: next };
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
  kept = 0;
  contributorCount = 0;
  duplicatesDropped = 0;
  conflictsDropped = 0;

  constructor(
    private readonly table: SampleTable,
    private readonly order: Int32Array,
    private readonly messages: readonly SourceMessage[],
  ) {
    const n = table.length;
    this.timestampMs = new Float64Array(n);
    this.value = new Float64Array(n);
    this.stale = new Uint8Array(n);
    this.messageStart = new Int32Array(n + 1);
    this.contributors = new Int32Array(n);
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
 * Groups the table's rows into series, each strictly ascending by timestamp. `identities[id]` is the series of
 * rows whose `series` column holds `id`; `messages` gives the SentTimestamp used to resolve conflicts. A caller
 * that groups batch after batch passes its own `scratch` to reuse the working arrays.
 */
export function groupSeries(
  table: SampleTable,
  identities: readonly SeriesIdentity[],
  messages: readonly SourceMessage[],
  scratch: GroupScratch = new GroupScratch(),
): GroupedSeries {
  const { firstSeen, order, offset, end } = orderBySeries(table, identities.length, scratch);
  const writer = new SeriesWriter(table, order, messages);
  const series: Series[] = [];
  for (let k = 0; k < firstSeen.length; k++) {
    const id = firstSeen[k]!;
    const start = writer.kept;
    writer.write(offset[id]!, end[id]!);
    const identity = identities[id]!;
    series.push({
      key: identity.key,
      labels: identity.labels,
      encodedLabels: identity.encodedLabels,
      start,
      end: writer.kept,
    });
  }
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
