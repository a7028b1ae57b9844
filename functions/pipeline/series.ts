// Grouping into series: samples with the same label set form a series, sorted by millisecond timestamp, with
// exact duplicates (same timestamp, same value) sent once.
//
// Conflicts (same series and timestamp, different value) cannot all be written: receivers answer 400
// "duplicate sample for timestamp" to the second. The rule: the sample of the message SQS received last
// (highest SentTimestamp) wins; between messages sent in the same millisecond, the one later in the batch wins.
// The losing messages are still tied to the winning sample, so they are acknowledged only once it is written.
import type { NormalisedSample, Series, SeriesSample, SourceMessage } from './model.js';

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

/**
 * Groups samples into series (in order of first appearance), each strictly ascending by timestamp.
 * `messages` gives the SentTimestamp used to resolve conflicts.
 */
export function groupSeries(
  samples: readonly NormalisedSample[],
  messages: readonly SourceMessage[],
): { series: Series[]; stats: SeriesStats } {
  const groups = new Map<string, NormalisedSample[]>();
  for (const sample of samples) {
    const group = groups.get(sample.key);
    if (group === undefined) groups.set(sample.key, [sample]);
    else group.push(sample);
  }

  let duplicatesDropped = 0;
  let conflictsDropped = 0;
  const series: Series[] = [];
  for (const [key, group] of groups) {
    if (group.length > 1) group.sort(byTimestamp); // Array#sort is stable: equal timestamps keep batch order
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
        const contributors: number[] = [];
        for (let k = i; k < j; k++) {
          const other = group[k] as NormalisedSample;
          contributors.push(other.message);
          if (other === winner) continue;
          if (sameValue(winner, other)) duplicatesDropped++;
          else conflictsDropped++;
        }
        const unique = [...new Set(contributors)].sort((a, b) => a - b);
        out.push({
          timestampMs: winner.timestampMs,
          value: winner.value,
          stale: winner.stale,
          messages: unique,
        });
      } else {
        out.push({
          timestampMs: winner.timestampMs,
          value: winner.value,
          stale: winner.stale,
          messages: [winner.message],
        });
      }
      i = j;
    }
    series.push({ key, labels: group[0]?.labels ?? [], samples: out });
  }
  return { series, stats: { duplicatesDropped, conflictsDropped } };
}
