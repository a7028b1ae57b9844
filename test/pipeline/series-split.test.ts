import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type {
  Label,
  SeriesIdentity,
  SeriesSample,
  SourceMessage,
  WriteBatch,
} from '../../functions/pipeline/model.js';
import { encodeLabelFields, encodeWriteRequest } from '../../functions/pipeline/encode.js';
import { SampleTable } from '../../functions/pipeline/sample-table.js';
import { groupSeries, type SeriesStats } from '../../functions/pipeline/series.js';
import { bisectBatch, splitIntoBatches } from '../../functions/pipeline/split.js';
import {
  plainSeriesOf,
  samplesOf,
  writeBatchOf,
  type PlainSeries,
} from '../../functions/pipeline/write-batch.js';

const T0 = 1_732_531_200_000;

interface Row {
  readonly key: string;
  readonly timestampMs: number;
  readonly value: number;
  readonly message: number;
  readonly stale: boolean;
}

function normalised(key: string, timestampMs: number, value: number, message: number, stale = false): Row {
  return { key, timestampMs, value, message, stale };
}

function messages(count: number, sent: (i: number) => number = () => T0): SourceMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    messageId: `m${i}`,
    body: '{}',
    sentTimestampMs: sent(i),
  }));
}

/** groupSeries over a table of the given rows, with its series read back as objects. */
function group(
  rows: readonly Row[],
  batch: readonly SourceMessage[],
): { series: Array<{ key: string; samples: SeriesSample[] }>; stats: SeriesStats } {
  const identities: SeriesIdentity[] = [];
  const byKey = new Map<string, SeriesIdentity>();
  const table = new SampleTable(1);
  for (const row of rows) {
    let identity = byKey.get(row.key);
    if (identity === undefined) {
      const labels = [{ name: '__name__', value: row.key }];
      identity = { id: identities.length, key: row.key, labels, encodedLabels: encodeLabelFields(labels) };
      identities.push(identity);
      byKey.set(row.key, identity);
    }
    table.push(identity.id, row.timestampMs, row.value, row.stale, row.message);
  }
  const { series, columns, stats } = groupSeries(table, identities, batch);
  return { series: series.map((s) => ({ key: s.labels[0]!.value, samples: samplesOf(columns, s) })), stats };
}

describe('groupSeries', () => {
  test('groups by key, sorts by timestamp, keeps first-appearance order of series', () => {
    const { series } = group(
      [normalised('b', T0 + 2, 2, 0), normalised('a', T0 + 1, 1, 1), normalised('b', T0 + 1, 1, 2)],
      messages(3),
    );
    assert.deepEqual(
      series.map((s) => [s.key, s.samples.map((x) => x.timestampMs - T0)]),
      [
        ['b', [1, 2]],
        ['a', [1]],
      ],
    );
  });

  test('sends exact duplicates once and remembers every message that carried them', () => {
    const { series, stats } = group(
      [
        normalised('a', T0, 1, 0),
        normalised('a', T0, 1, 2),
        normalised('a', T0, NaN, 3),
        normalised('a', T0 + 5, NaN, 4),
        normalised('a', T0 + 5, NaN, 5),
      ],
      messages(6, (i) => T0 + (i === 3 ? -1 : 0)),
    );
    assert.equal(series[0]!.samples.length, 2);
    assert.deepEqual(series[0]!.samples[0]!.messages, [0, 2, 3]);
    assert.equal(series[0]!.samples[0]!.value, 1);
    assert.ok(Number.isNaN(series[0]!.samples[1]!.value));
    assert.deepEqual(stats, { duplicatesDropped: 2, conflictsDropped: 1 });
  });

  test('resolves conflicts by the latest SentTimestamp, then by batch position', () => {
    const sent = [T0 + 10, T0 + 30, T0 + 20, T0 + 30];
    const { series, stats } = group(
      [
        normalised('a', T0, 1, 0),
        normalised('a', T0, 2, 1),
        normalised('a', T0, 3, 2),
        normalised('a', T0, 4, 3),
      ],
      messages(4, (i) => sent[i]!),
    );
    assert.equal(series[0]!.samples[0]!.value, 4); // m1 and m3 were both sent at +30: the later in the batch wins
    assert.deepEqual(stats, { duplicatesDropped: 0, conflictsDropped: 3 });
    const reversed = group(
      [
        normalised('a', T0, 4, 3),
        normalised('a', T0, 3, 2),
        normalised('a', T0, 2, 1),
        normalised('a', T0, 1, 0),
      ],
      messages(4, (i) => sent[i]!),
    );
    assert.equal(
      reversed.series[0]!.samples[0]!.value,
      4,
      'the rule does not depend on the order of samples',
    );
  });

  test('tells a stale marker from NaN and 0 from -0', () => {
    const { series, stats } = group(
      [
        normalised('a', T0, NaN, 0),
        normalised('a', T0, 0, 1, true),
        normalised('b', T0, 0, 0),
        normalised('b', T0, -0, 1),
      ],
      messages(2),
    );
    assert.equal(series[0]!.samples[0]!.stale, true);
    assert.ok(Object.is(series[1]!.samples[0]!.value, -0));
    assert.deepEqual(stats, { duplicatesDropped: 0, conflictsDropped: 2 });
  });
});

function series(key: string, count: number, labels: Label[] = [], step = 1000): PlainSeries {
  return {
    labels: [{ name: '__name__', value: key }, ...labels],
    samples: Array.from({ length: count }, (_, i) => ({
      timestampMs: T0 + i * step,
      value: i,
      stale: false,
      messages: [i],
    })),
  };
}

function split(
  input: readonly PlainSeries[],
  limits: { maxSamplesPerRequest: number; maxBytesPerRequest: number },
): ReturnType<typeof splitIntoBatches> {
  const whole = writeBatchOf(input);
  return splitIntoBatches(whole.columns, whole.series, limits);
}

function flatten(batches: readonly WriteBatch[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const batch of batches) {
    for (const s of plainSeriesOf(batch)) {
      const name = s.labels[0]!.value;
      out.set(name, [...(out.get(name) ?? []), ...s.samples.map((x) => x.timestampMs)]);
    }
  }
  return out;
}

describe('splitIntoBatches', () => {
  test('bounds requests by samples and chains the continuation of a series', () => {
    const { batches, after } = split([series('a', 5), series('b', 3)], {
      maxSamplesPerRequest: 3,
      maxBytesPerRequest: 1 << 20,
    });
    assert.deepEqual(
      batches.map((b) => b.sampleCount),
      [3, 3, 2],
    );
    assert.deepEqual(after, [[], [0], [1]]);
    assert.deepEqual(
      batches[1]!.series.map((s) => s.labels[0]!.value),
      ['a', 'b'],
    );
    assert.deepEqual(batches[0]!.messages, [0, 1, 2]);
    assert.deepEqual(batches[1]!.messages, [0, 3, 4]);
  });

  test('bounds requests by encoded bytes, and keeps independent series independent', () => {
    const long = [{ name: 'description', value: 'x'.repeat(300) }];
    const { batches, after } = split([series('a', 1, long), series('b', 1, long), series('c', 1, long)], {
      maxSamplesPerRequest: 100,
      maxBytesPerRequest: 800,
    });
    assert.deepEqual(
      batches.map((b) => b.sampleCount),
      [2, 1],
    );
    assert.deepEqual(after, [[], []]);
  });

  test('puts a lone sample that exceeds the byte bound in a request of its own', () => {
    const { batches } = split([series('a', 2, [{ name: 'big', value: 'x'.repeat(2000) }])], {
      maxSamplesPerRequest: 100,
      maxBytesPerRequest: 1000,
    });
    assert.deepEqual(
      batches.map((b) => b.sampleCount),
      [1, 1],
    );
  });

  test('property: nothing lost or duplicated, ascending per series across requests, within bounds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 60, max: 3000 }),
        (sizes, maxSamples, maxBytes) => {
          const input = sizes.map((n, i) => series(`s${i}`, n, [{ name: 'device', value: `d${i}` }]));
          const { batches, after } = split(input, {
            maxSamplesPerRequest: maxSamples,
            maxBytesPerRequest: maxBytes,
          });
          const seen = flatten(batches);
          for (const s of input) {
            assert.deepEqual(
              seen.get(s.labels[0]!.value),
              s.samples.map((x) => x.timestampMs),
            );
          }
          const lastBatchOf = new Map<string, number>();
          batches.forEach((batch, index) => {
            assert.ok(batch.sampleCount <= maxSamples);
            const encoded = encodeWriteRequest(batch).length;
            assert.ok(encoded <= maxBytes || batch.sampleCount === 1, `${encoded} bytes > ${maxBytes}`);
            assert.equal(
              batch.sampleCount,
              batch.series.reduce((n, s) => n + s.end - s.start, 0),
            );
            for (const s of batch.series) {
              const name = s.labels[0]!.value;
              const previous = lastBatchOf.get(name);
              if (previous !== undefined)
                assert.ok(after[index]!.includes(previous), 'continuation is chained');
              lastBatchOf.set(name, index);
            }
            assert.equal(new Set(batch.series.map((s) => s.labels[0]!.value)).size, batch.series.length);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('bisectBatch', () => {
  test('splits by time so each series keeps its order when left is sent before right', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 6 }), (sizes) => {
        const { batches } = split(
          sizes.map((n, i) => series(`s${i}`, n, [], 700 + i * 300)),
          { maxSamplesPerRequest: 1000, maxBytesPerRequest: 1 << 20 },
        );
        const batch = batches[0]!;
        const halves = bisectBatch(batch);
        if (batch.sampleCount < 2) {
          assert.equal(halves, undefined);
          return;
        }
        const [left, right] = halves!;
        assert.equal(left.sampleCount + right.sampleCount, batch.sampleCount);
        assert.ok(Math.abs(left.sampleCount - right.sampleCount) <= 1);
        assert.deepEqual(flatten([left, right]), flatten([batch]));
      }),
      { numRuns: 200 },
    );
  });

  test('recursion reaches single samples', () => {
    let batch: WriteBatch = split([series('a', 5), series('b', 2)], {
      maxSamplesPerRequest: 100,
      maxBytesPerRequest: 1 << 20,
    }).batches[0]!;
    let steps = 0;
    for (let halves = bisectBatch(batch); halves !== undefined; halves = bisectBatch(batch)) {
      batch = halves[0];
      steps++;
    }
    assert.equal(batch.sampleCount, 1);
    assert.equal(steps, 2); // 7 → 3 → 1
  });
});
