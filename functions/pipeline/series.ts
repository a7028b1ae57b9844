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

/** Working arrays of groupSeries, kept between calls (it is synchronous): counts by series id must start at 0,
 * and groupSeries leaves them so. */
let scratch = {
  count: new Int32Array(0),
  offset: new Int32Array(0),
  next: new Int32Array(0),
  order: new Int32Array(0),
};

function scratchFor(seriesCount: number, rows: number): typeof scratch {
  if (scratch.count.length < seriesCount) {
    const size = Math.max(seriesCount, scratch.count.length * 2);
    scratch = {
      ...scratch,
      count: new Int32Array(size),
      offset: new Int32Array(size),
      next: new Int32Array(size),
    };
  }
  if (scratch.order.length < rows)
    scratch = { ...scratch, order: new Int32Array(Math.max(rows, scratch.order.length * 2)) };
  return scratch;
}

export interface GroupedSeries {
  /** In order of first appearance in the batch; series left without samples are omitted. */
  readonly series: Series[];
  readonly columns: SampleColumns;
  readonly stats: SeriesStats;
}

/**
 * Groups the table's rows into series, each strictly ascending by timestamp. `identities[id]` is the series of
 * rows whose `series` column holds `id`; `messages` gives the SentTimestamp used to resolve conflicts.
 */
export function groupSeries(
  table: SampleTable,
  identities: readonly SeriesIdentity[],
  messages: readonly SourceMessage[],
): GroupedSeries {
  const n = table.length;
  const rowSeries = table.series;
  const rowTime = table.timestampMs;
  const rowValue = table.value;
  const rowStale = table.stale;
  const rowMessage = table.message;

  // A stable counting sort by series: `order` lists the rows of each series together, in batch order, and the
  // series come in order of first appearance.
  const seriesCount = identities.length;
  const { count, offset, next, order } = scratchFor(seriesCount, n);
  const firstSeen: number[] = [];
  for (let row = 0; row < n; row++) {
    const id = rowSeries[row]!;
    if (count[id]++ === 0) firstSeen.push(id);
  }
  let total = 0;
  for (const id of firstSeen) {
    offset[id] = total;
    next[id] = total;
    total += count[id]!;
  }
  for (let row = 0; row < n; row++) order[next[rowSeries[row]!]!++] = row;
  // Only the counts of this batch's series were set: clear them for the next batch.
  for (const id of firstSeen) count[id] = 0;

  const timestampMs = new Float64Array(n);
  const value = new Float64Array(n);
  const stale = new Uint8Array(n);
  const messageStart = new Int32Array(n + 1);
  const contributors = new Int32Array(n);
  let kept = 0;
  let contributorCount = 0;
  let duplicatesDropped = 0;
  let conflictsDropped = 0;
  const series: Series[] = [];
  const sent = (row: number): number => messages[rowMessage[row]!]?.sentTimestampMs ?? 0;

  for (const id of firstSeen) {
    const from = offset[id]!;
    const to = next[id]!; // the scatter left it at the end of the series' rows
    // Devices mostly report in order, so sorting is usually skipped. Ties keep batch order (rows ascend).
    let sorted = true;
    for (let i = from + 1; i < to; i++) {
      if (rowTime[order[i - 1]!]! > rowTime[order[i]!]!) {
        sorted = false;
        break;
      }
    }
    if (!sorted) {
      const rows = Array.from(order.subarray(from, to));
      rows.sort((a, b) => rowTime[a]! - rowTime[b]! || a - b);
      order.set(rows, from);
    }

    const start = kept;
    let i = from;
    while (i < to) {
      const first = order[i]!;
      const time = rowTime[first]!;
      let j = i + 1;
      while (j < to && rowTime[order[j]!] === time) j++;
      let winner = first;
      if (j - i > 1) {
        // Several samples at one timestamp: the latest message's value wins; the others are exact duplicates
        // of it or lost conflicts, and every contributing message is remembered (once, ascending).
        for (let k = i + 1; k < j; k++) {
          const row = order[k]!;
          const sentRow = sent(row);
          const sentWinner = sent(winner);
          if (sentRow !== sentWinner ? sentRow > sentWinner : rowMessage[row]! > rowMessage[winner]!)
            winner = row;
        }
        const contributed: number[] = [];
        for (let k = i; k < j; k++) {
          const row = order[k]!;
          contributed.push(rowMessage[row]!);
          if (row === winner) continue;
          // Exact duplicates are what receivers accept twice: the same float bits. Object.is tells 0 from -0
          // and treats NaN as equal to NaN; stale markers differ from every ordinary value.
          const same =
            rowStale[row] === rowStale[winner] &&
            (rowStale[row] === 1 || Object.is(rowValue[row], rowValue[winner]));
          if (same) duplicatesDropped++;
          else conflictsDropped++;
        }
        contributed.sort((a, b) => a - b);
        let previous = -1;
        for (const message of contributed) {
          if (message !== previous) contributors[contributorCount++] = message;
          previous = message;
        }
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
    const identity = identities[id]!;
    series.push({
      key: identity.key,
      labels: identity.labels,
      encodedLabels: identity.encodedLabels,
      start,
      end: kept,
    });
  }

  return {
    series,
    columns: {
      timestampMs: timestampMs.subarray(0, kept),
      value: value.subarray(0, kept),
      stale: stale.subarray(0, kept),
      messageStart: messageStart.subarray(0, kept + 1),
      messages: contributors.subarray(0, contributorCount),
    },
    stats: { duplicatesDropped, conflictsDropped },
  };
}
