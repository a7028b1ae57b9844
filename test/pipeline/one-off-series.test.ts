// Label sets the cache does not hold are written one-off: checked, sorted and encoded straight from the body text.
// These tests hold that path to the cache's way (LabelRules, encodeLabelFields) with configured labels and limits,
// check that equal label sets met both ways in one batch become one series, and that the doorkeeper interns a
// label set only when it comes back in a later batch.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_PIPELINE_CONFIG, type PipelineConfig } from '../../functions/pipeline/config.js';
import type { SourceMessage } from '../../functions/pipeline/model.js';
import { encodeLabelFields } from '../../functions/pipeline/encode.js';
import { fieldsHash } from '../../functions/pipeline/label-fields.js';
import { SampleNormaliser } from '../../functions/pipeline/normalise.js';
import { OneOffSeries } from '../../functions/pipeline/one-off-series.js';
import { planBatch, type BatchPlan, type PlanOptions } from '../../functions/pipeline/plan.js';
import { plainSeriesOf } from '../../functions/pipeline/write-batch.js';

const SENT = 1_732_531_200_000;

function messagesOf(bodies: readonly string[]): SourceMessage[] {
  return bodies.map((body, i) => ({ messageId: `m-${i}`, body, sentTimestampMs: SENT + i }));
}

function describePlan(plan: BatchPlan): unknown {
  return {
    series: plan.batches.flatMap((batch) => plainSeriesOf(batch)),
    invalid: plan.invalid.map((f) => [f.index, f.error.message]),
    stats: plan.stats,
  };
}

const labelName = fc.constantFrom('device', 'site', 'Zone', '_x', 'zz', 'a-b', '__x', 'env', 'abcde', 'éa');
// Around the value limits below: 5 and 6 bytes, in one-, two- and three-byte characters.
const labelValue = fc.constantFrom('d-1', 'north', '', 'é', 'ééé', '日本', '123456', 'x'.repeat(40));
const metricName = fc.constantFrom('t', 'humidity', 'a:b', 'Temp', '1bad', 'x-y', 'y'.repeat(30));
const configured = fc.dictionary(
  fc.constantFrom('site', 'env', 'Zone', 'zz', 'aa'),
  fc.constantFrom('c', ''),
  {
    maxKeys: 3,
  },
);
const limits = fc.record({
  maxLabelsPerSeries: fc.integer({ min: 2, max: 8 }),
  maxLabelNameLength: fc.constantFrom(4, 1024),
  maxLabelValueLength: fc.constantFrom(5, 6, 2048),
  maxSamplesPerMessage: fc.constant(10_000),
});

/** A report body written by hand, so keys may repeat and come in any order. */
const body = fc
  .tuple(
    fc.array(fc.tuple(labelName, labelValue), { maxLength: 6 }),
    fc.uniqueArray(metricName, { minLength: 1, maxLength: 3 }),
    fc.integer({ min: 0, max: 5 }),
  )
  .map(([labels, metrics, t]) => {
    const labelText = labels.map(([n, v]) => `${JSON.stringify(n)}:${JSON.stringify(v)}`).join(',');
    const metricText = metrics.map((m, i) => `${JSON.stringify(m)}:${i + t / 10}`).join(',');
    return `{"labels":{${labelText}},"timestamp":${SENT - 1000 + t},"metrics":{${metricText}}}`;
  });

/**
 * Plans generated bodies twice (round 1 writes every label set one-off; round 2 interns those met again) with
 * `options` and the cache's way, with random configured labels and limits, and expects the same plans.
 */
function assertPlansAsTheCacheWay(bodies: fc.Arbitrary<string>, options: PlanOptions): void {
  assertBatchesAsTheCacheWay(fc.array(bodies, { minLength: 1, maxLength: 10 }), options);
}

/** As assertPlansAsTheCacheWay, for batches of bodies made together (e.g. sharing a layout). */
function assertBatchesAsTheCacheWay(batches: fc.Arbitrary<string[]>, options: PlanOptions): void {
  fc.assert(
    fc.property(
      batches,
      configured,
      configured,
      limits,
      (generated, extraLabels, forcedLabels, pipelineLimits) => {
        const config: PipelineConfig = {
          ...DEFAULT_PIPELINE_CONFIG,
          extraLabels,
          forcedLabels,
          limits: pipelineLimits,
        };
        const fast = new SampleNormaliser(config);
        const slow = new SampleNormaliser(config);
        const messages = messagesOf(generated);
        for (let round = 0; round < 2; round++) {
          assert.deepEqual(
            describePlan(planBatch(messages, config, fast, options)),
            describePlan(planBatch(messages, config, slow, { scan: false, oneOff: false })),
          );
        }
      },
    ),
    { numRuns: 300 },
  );
}

describe('one-off series', () => {
  test('plan exactly as the cache and decodeMessage do, with configured labels and limits', () => {
    assertPlansAsTheCacheWay(body, {});
  });

  test('decoded label objects (routes, bodies the scanner steps aside for) plan one-off exactly as the cache way', () => {
    // Values the scanner never passes: a surrogate pair, a number, an escape.
    const decodedValue = fc.oneof(labelValue, fc.constantFrom('😀', 'a"b', 'tab\t'));
    const decodedBody = fc
      .tuple(
        fc.dictionary(
          labelName,
          fc.oneof(
            decodedValue.map((v) => v as unknown),
            fc.constant(42),
          ),
          {
            maxKeys: 6,
          },
        ),
        fc.uniqueArray(metricName, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 5 }),
      )
      .map(([labels, metrics, t]) =>
        JSON.stringify({
          labels,
          timestamp: SENT - 1000 + t,
          metrics: Object.fromEntries(metrics.map((m, i) => [m, i + t / 10])),
        }),
      );
    assertPlansAsTheCacheWay(decodedBody, { scan: false });
  });

  test('labels objects of one layout (names, order and spacing; values differ) plan exactly as the cache way', () => {
    // After the first object of a layout, the one-off path reads only the values (labels-shape.ts), and the
    // scanner takes the object's end from the layout: values it must not take that way are escaped, hold a
    // control character or a surrogate pair.
    const layoutValue = fc.oneof(
      labelValue,
      fc.constantFrom('a}b', ' ', 'd-2', 'a"b', 'a\\b', 'x\ny', '\u0001', '\ud83d\ude00'),
    );
    const batch = fc
      .tuple(
        fc.uniqueArray(labelName, { minLength: 1, maxLength: 5 }),
        fc.constantFrom(['', ''], [' ', ''], ['', ' ']),
        fc.integer({ min: 1, max: 12 }),
      )
      .chain(([names, [space, colonSpace], size]) =>
        fc
          .array(
            fc.tuple(
              fc.array(layoutValue, { minLength: names.length, maxLength: names.length }),
              fc.uniqueArray(metricName, { minLength: 1, maxLength: 3 }),
              fc.integer({ min: 0, max: 5 }),
            ),
            { minLength: size, maxLength: size },
          )
          .map((bodies) =>
            bodies.map(([values, metrics, t]) => {
              const labelText = names
                .map((n, i) => `${space}${JSON.stringify(n)}${colonSpace}:${JSON.stringify(values[i])}`)
                .join(',');
              const metricText = metrics.map((m, i) => `${JSON.stringify(m)}:${i + t / 10}`).join(',');
              return `{"labels":{${labelText}${space}},"timestamp":${SENT - 1000 + t},"metrics":{${metricText}}}`;
            }),
          ),
      );
    assertBatchesAsTheCacheWay(batch, {});
  });

  test('one label set met one-off and from the cache in one batch is one series, sorted', () => {
    const normaliser = new SampleNormaliser();
    const cached = (t: number): string =>
      `{"labels":{"device":"d-1","site":"north"},"timestamp":${SENT - 1000 + t},"metrics":{"t":${t}}}`;
    // Seen in two batches, the set is interned by its text.
    planBatch(messagesOf([cached(0)]), undefined, normaliser);
    planBatch(messagesOf([cached(1)]), undefined, normaliser);
    // The same labels in another order (another text, never seen): one-off, and earlier in time.
    const reordered = `{"labels":{"site":"north","device":"d-1"},"timestamp":${SENT - 1000},"metrics":{"t":9}}`;
    const plan = planBatch(messagesOf([cached(5), reordered, cached(3)]), undefined, normaliser);
    const series = plan.batches.flatMap((batch) => plainSeriesOf(batch));
    assert.equal(series.length, 1);
    assert.deepEqual(
      series[0]!.labels.map((l) => `${l.name}=${l.value}`),
      ['__name__=t', 'device=d-1', 'site=north'],
    );
    assert.deepEqual(
      series[0]!.samples.map((s) => [s.timestampMs - (SENT - 1000), s.value, s.messages]),
      [
        [0, 9, [1]],
        [3, 3, [2]],
        [5, 5, [0]],
      ],
    );
    assert.equal(plan.stats.series, 1);
  });

  test('a device met once is never interned; one met again in a later batch is', () => {
    const normaliser = new SampleNormaliser();
    const report = (device: number): string =>
      `{"labels":{"device":"d-${device}"},"timestamp":${SENT - 1000},"metrics":{"a":1,"b":2}}`;
    planBatch(messagesOf([report(1), report(1), report(2)]), undefined, normaliser);
    normaliser.startBatch();
    assert.equal(
      normaliser.cache.held.labelSets,
      0,
      'nothing interned on first sight, even twice in a batch',
    );
    planBatch(messagesOf([report(1), report(3)]), undefined, normaliser);
    normaliser.startBatch();
    assert.equal(normaliser.cache.held.labelSets, 1);
    assert.equal(normaliser.cache.held.series, 2);
  });

  test('a device that repeats within a batch is written one-off once per series', () => {
    const normaliser = new SampleNormaliser();
    const report = (device: number, t: number): string =>
      `{"labels":{"device":"d-${device}"},"timestamp":${SENT - 1000 + t},"metrics":{"a":${t},"b":2}}`;
    const bodies = [0, 1, 2, 3].flatMap((t) => [report(1, t), report(2, t)]);
    const plan = planBatch(messagesOf(bodies), undefined, normaliser);
    assert.equal(normaliser.oneOff.count, 4, 'two devices, two metrics');
    assert.equal(plan.stats.series, 4);
    const series = plan.batches.flatMap((batch) => plainSeriesOf(batch));
    assert.deepEqual(
      series.map((s) => s.samples.length),
      [4, 4, 4, 4],
    );
  });

  test('a series dropped by a rollback is not taken for a later one-off series of the same batch', () => {
    // The second message repeats the first one's labels text (so the batch dedupes one-off series from then on),
    // but its metric "x-y" needs sanitising: its one-off series "u" is dropped (rolled back) and the message goes
    // the cache's way. The third spells the same labels otherwise (one-off again) and makes series "u" where the
    // dropped one was.
    const bodies = [
      `{"labels":{"device":"d"},"timestamp":${SENT - 1000},"metrics":{"t":1}}`,
      `{"labels":{"device":"d"},"timestamp":${SENT - 999},"metrics":{"u":2,"x-y":3}}`,
      `{"labels":{ "device":"d"},"timestamp":${SENT - 998},"metrics":{"u":4}}`,
    ];
    const plan = planBatch(messagesOf(bodies), undefined, new SampleNormaliser());
    const slow = planBatch(messagesOf(bodies), undefined, new SampleNormaliser(), {
      scan: false,
      oneOff: false,
    });
    assert.deepEqual(describePlan(plan), describePlan(slow));
    assert.equal(plan.stats.series, 3);
  });

  test('a plan released gives its label bytes back; one kept stays intact', () => {
    const normaliser = new SampleNormaliser();
    const report = (device: number): string =>
      `{"labels":{"device":"d-${device}"},"timestamp":${SENT - 1000},"metrics":{"a":1}}`;
    const kept = planBatch(messagesOf([report(1)]), undefined, normaliser);
    const before = describePlan(kept);
    // Not released: the next batches must not write over its bytes.
    planBatch(messagesOf([report(7)]), undefined, normaliser).release();
    planBatch(messagesOf([report(8)]), undefined, normaliser);
    assert.deepEqual(describePlan(kept), before);
  });

  test('each one-off series is hashed as fieldsHash of its bytes, the hash cached series are grouped by', () => {
    // Equal label sets met one-off and from the cache are merged by this hash (series.ts): a wrong one would
    // split a series in two. Labels of one layout, so most sets are written through it (labels-shape.ts).
    const names = fc.uniqueArray(fc.constantFrom('device', 'site', 'Zone', 'zz', 'env'), {
      minLength: 1,
      maxLength: 4,
    });
    const value = fc.constantFrom('d-1', 'north', 'é', '日本', 'x'.repeat(200), 'a}b');
    fc.assert(
      fc.property(
        names,
        fc.array(fc.array(value, { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 80 }),
        configured,
        (keys, objects, extraLabels) => {
          const oneOff = new OneOffSeries({ ...DEFAULT_PIPELINE_CONFIG, extraLabels });
          for (const values of objects) {
            const text = `{${keys.map((key, i) => `"${key}":${JSON.stringify(values[i])}`).join(',')}}`;
            if (!oneOff.useLabels(text, 0, text.length)) continue;
            const metrics = '"t""a_long_metric_name"';
            oneOff.add(metrics, 1, 2, 0);
            oneOff.add(metrics, 4, 22, 1);
          }
          const { bytes, start, end, hash, count } = oneOff.lend();
          for (let k = 0; k < count; k++) {
            assert.equal(hash[k], fieldsHash(bytes, start[k]!, end[k]!), `series ${k}`);
          }
          assert.ok(count > 0 || objects.length === 0);
        },
      ),
      { numRuns: 300 },
    );
    // And the bytes are the label set's fields, __name__ in its place.
    const oneOff = new OneOffSeries({ ...DEFAULT_PIPELINE_CONFIG, extraLabels: { Zone: 'z', zz: 'y' } });
    for (const device of ['d-1', 'd-2', 'd-3']) {
      const text = `{"device":"${device}","site":"north"}`;
      assert.ok(oneOff.useLabels(text, 0, text.length));
      assert.equal(oneOff.add('"t"', 1, 2, 0), oneOff.count - 1);
    }
    const { bytes, start, end } = oneOff.lend();
    assert.deepEqual(
      bytes.subarray(start[2]!, end[2]!),
      new Uint8Array(
        encodeLabelFields([
          { name: 'Zone', value: 'z' },
          { name: '__name__', value: 't' },
          { name: 'device', value: 'd-3' },
          { name: 'site', value: 'north' },
          { name: 'zz', value: 'y' },
        ]),
      ),
    );
  });
});
