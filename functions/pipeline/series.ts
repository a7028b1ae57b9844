// Grouping into series: samples with the same label set form a series, sorted by millisecond timestamp, with
// exact duplicates (same timestamp, same value) sent once.
//
// Conflicts (same series and timestamp, different value) cannot all be written: receivers answer 400
// "duplicate sample for timestamp" to the second. The rule: the sample of the message SQS received last
// (highest SentTimestamp) wins; between messages sent in the same millisecond, the one later in the batch wins.
// The losing messages are still tied to the winning sample, so they are acknowledged only once it is written.
import type { NormalisedSample, Series, SeriesIdentity, SeriesSample, SourceMessage } from './model.js';

export interface SeriesStats {
  /** Samples dropped because an identical sample (same series, timestamp and value) was already kept. */
  readonly duplicatesDropped: number;
  /** Samples dropped because another value for the same series and timestamp won. */
  readonly conflictsDropped: number;
}

function sameValue(a: NormalisedSample, b: NormalisedSample): boolean {
  // Exact duplicates are what receivers accept twice: the same float bits. Object.is tells 0 from -0 and
  // treats NaN as equal to NaN; stale markers are a distinct NaN and differ from every ordinary value.
  return a.stale === b.stale && (a.stale || Object.is(a.value, b.value));
}

function laterMessage(messages: readonly SourceMessage[], a: number, b: number): boolean {
  const sentA = messages[a]?.sentTimestampMs ?? 0;
  const sentB = messages[b]?.sentTimestampMs ?? 0;
  return sentA !== sentB ? sentA > sentB : a > b;
}

function byTimestamp(a: NormalisedSample, b: NormalisedSample): number {
  return a.timestampMs - b.timestampMs;
}

function isSorted(group: readonly NormalisedSample[]): boolean {
  for (let i = 1; i < group.length; i++) {
    if ((group[i - 1] as NormalisedSample).timestampMs > (group[i] as NormalisedSample).timestampMs)
      return false;
  }
  return true;
}

/**
 * Groups samples into series (in order of first appearance), each strictly ascending by timestamp.
 * `messages` gives the SentTimestamp used to resolve conflicts.
 */
export function groupSeries(
  samples: readonly NormalisedSample[],
  messages: readonly SourceMessage[],
): { series: Series[]; stats: SeriesStats } {
  const groups = new Map<SeriesIdentity, NormalisedSample[]>();
  for (const sample of samples) {
    const group = groups.get(sample.series);
    if (group === undefined) groups.set(sample.series, [sample]);
    else group.push(sample);
  }

  let duplicatesDropped = 0;
  let conflictsDropped = 0;
  const series: Series[] = [];
  for (const [identity, group] of groups) {
    // Devices mostly report in order, so sorting is usually skipped; Array#sort is stable, so equal timestamps
    // keep batch order.
    if (!isSorted(group)) group.sort(byTimestamp);
    const out: SeriesSample[] = [];
    let i = 0;
    while (i < group.length) {
      let winner = group[i] as NormalisedSample;
      let j = i + 1;
      if (j < group.length && (group[j] as NormalisedSample).timestampMs === winner.timestampMs) {
        // Several samples at one timestamp: the latest message's value wins; the others are exact duplicates of
        // it or lost conflicts, and every contributing message is remembered.
        for (; j < group.length && (group[j] as NormalisedSample).timestampMs === winner.timestampMs; j++) {
          const other = group[j] as NormalisedSample;
          if (laterMessage(messages, other.message, winner.message)) winner = other;
        }
        const contributors = new Set<number>();
        for (let k = i; k < j; k++) {
          const other = group[k] as NormalisedSample;
          contributors.add(other.message);
          if (other === winner) continue;
          if (sameValue(winner, other)) duplicatesDropped++;
          else conflictsDropped++;
        }
        out.push({
          timestampMs: winner.timestampMs,
          value: winner.value,
          stale: winner.stale,
          messages: [...contributors].sort((a, b) => a - b),
        });
      } else {
        out.push(winner);
      }
      i = j;
    }
    series.push({ key: identity.key, labels: identity.labels, samples: out });
  }
  return { series, stats: { duplicatesDropped, conflictsDropped } };
}
