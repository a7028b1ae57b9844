// The series cache between batches: bounded by its byte and series budget, replacing label sets gradually
// (CLOCK) rather than forgetting everything, and invisible in the plans: a normaliser with a tiny cache plans
// every batch exactly as a fresh one does.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { SourceMessage } from '../../functions/pipeline/model.js';
import { SampleNormaliser } from '../../functions/pipeline/normalise.js';
import { planBatch, type BatchPlan } from '../../functions/pipeline/plan.js';
import { encodeLabelFields } from '../../functions/pipeline/encode.js';
import { SLAB_BYTES } from '../../functions/pipeline/series-bytes.js';
import { seriesCacheLimitsFor } from '../../functions/pipeline/series-cache.js';
import { hashRange, TextIndex } from '../../functions/pipeline/text-index.js';
import { plainSeriesOf } from '../../functions/pipeline/write-batch.js';

const SENT = 1_732_531_200_000;

function report(device: number, t: number): string {
  return JSON.stringify({
    labels: { device: `d-${device}`, site: `s-${device % 3}` },
    timestamp: SENT - 60_000 + t,
    metrics: { temperature: device + t / 10, humidity: 50, battery: 3.3 },
  });
}

function batchOf(devices: readonly number[], t: number): SourceMessage[] {
  return devices.map((d, i) => ({ messageId: `m-${t}-${i}`, body: report(d, t), sentTimestampMs: SENT }));
}

function describePlan(plan: BatchPlan): unknown {
  return plan.batches.map((batch) =>
    plainSeriesOf(batch).map((s) => ({ labels: s.labels, samples: s.samples })),
  );
}

describe('series cache', () => {
  test('sizes its budget from the function memory, with a default when unknown', () => {
    assert.deepEqual(seriesCacheLimitsFor('1024').maxBytes, 2 * seriesCacheLimitsFor('512').maxBytes);
    assert.deepEqual(seriesCacheLimitsFor(undefined), seriesCacheLimitsFor('512'));
    assert.deepEqual(seriesCacheLimitsFor('not a number'), seriesCacheLimitsFor('512'));
  });

  test('stays within its budget and replaces label sets gradually, keeping the ones in use', () => {
    const normaliser = new SampleNormaliser(undefined, { maxBytes: 200_000, maxSeries: 1_000_000 });
    const cache = normaliser.cache;
    // A steady group of 20 devices in every batch, and 200 devices never seen again.
    const steady = Array.from({ length: 20 }, (_, i) => i);
    for (let t = 0; t < 30; t++) {
      const passing = Array.from({ length: 200 }, (_, i) => 1000 + t * 200 + i);
      planBatch(batchOf([...steady, ...passing], t), undefined, normaliser);
      normaliser.startBatch();
      assert.ok(cache.held.bytes <= 200_000, `held ${cache.held.bytes} bytes`);
      // From the second batch on the steady devices are held, and only they: a device met once is written
      // one-off, never interned (the doorkeeper interns a label set when it comes back in a later batch).
      if (t > 0) assert.equal(cache.held.labelSets, steady.length);
    }
    // The steady devices, looked up in every batch, are all still cached.
    const text = report(3, 0);
    const start = text.indexOf('{', 1);
    assert.ok(normaliser.scanMemory.labelsAt(text, start, text.indexOf('}', start) + 1) !== undefined);
    // Every held series sits at its own id.
    cache.identities.forEach((series, id) => assert.ok(series.id === id || series.id === -1));
  });

  test('stands aside for a fleet that comes back too seldom to be found in it', () => {
    // About 65 label sets fit the budget; 700 devices come back every 7 batches of 100, so a set interned when
    // it comes back would be pushed out by the others long before it came back again.
    const budget = { maxBytes: 200_000, maxSeries: 1_000_000 };
    const normaliser = new SampleNormaliser(undefined, budget);
    const fleet = (t: number) => Array.from({ length: 100 }, (_, i) => (t * 100 + i) % 700);
    // planBatch starts each batch itself (SampleNormaliser.startBatch), as the handler's calls do.
    for (let t = 0; t < 28; t++) planBatch(batchOf(fleet(t), t), undefined, normaliser);
    // Only the first returns of the first cycle, before the cache could tell how many come back, are interned.
    assert.ok(normaliser.cache.held.labelSets <= 16, `held ${normaliser.cache.held.labelSets} label sets`);

    // A fleet of 50 that comes back every batch fits: interned on its second batch, held from its third.
    const fits = new SampleNormaliser(undefined, budget);
    const everyone = Array.from({ length: 50 }, (_, i) => i);
    for (let t = 0; t < 3; t++) planBatch(batchOf(everyone, t), undefined, fits);
    assert.equal(fits.cache.held.labelSets, 50);
  });

  test('the doorkeeper follows a sample of a fleet it stands aside for, and a fleet that shrinks to fit is held', () => {
    // About 650 label sets fit; 20,000 devices in batches of 2,000 come back every 10 batches.
    const budget = { maxBytes: 2_000_000, maxSeries: 1_000_000 };
    const normaliser = new SampleNormaliser(undefined, budget);
    const cache = normaliser.cache;
    const large = (t: number) => Array.from({ length: 2000 }, (_, i) => (t * 2000 + i) % 20_000);
    let sampled = 0;
    for (let t = 0; t < 30; t++) {
      const messages = batchOf(large(t), t);
      const plan = planBatch(messages, undefined, normaliser);
      // Eight batches after the first returns' few interns, the doorkeeper looks up an eighth of the texts (but for
      // a census of two batches in 16); the plans do not change.
      if (t >= 20 && cache.doorkeeperSampled) sampled++;
      if (t % 8 === 7)
        assert.deepEqual(
          describePlan(plan),
          describePlan(planBatch(messages, undefined, new SampleNormaliser())),
        );
    }
    assert.ok(sampled >= 8, `sampled in ${sampled} of batches 20-29`);
    assert.ok(cache.held.labelSets <= 16, `held ${cache.held.labelSets} label sets`);
    // The fleet shrinks to 30 devices in every batch, among 1,500 met once: the sample's first interns end the
    // sampling, and the next batches intern the rest.
    const steady = Array.from({ length: 30 }, (_, i) => 100_000 + i);
    for (let t = 30; t < 40; t++) {
      const passing = Array.from({ length: 1500 }, (_, i) => 200_000 + t * 1500 + i);
      planBatch(batchOf([...steady, ...passing], t), undefined, normaliser);
    }
    normaliser.startBatch();
    for (const device of steady) {
      const text = report(device, 0);
      const start = text.indexOf('{', 1);
      const end = text.indexOf('}', start) + 1;
      assert.ok(normaliser.scanMemory.labelsAt(text, start, end) !== undefined, `device ${device}`);
    }
  });

  test('a small fleet that arrives among a flood, none of its texts in the sample, is found by a census', () => {
    const normaliser = new SampleNormaliser(undefined, { maxBytes: 2_000_000, maxSeries: 1_000_000 });
    const labelsText = (device: number): string => {
      const text = report(device, 0);
      const start = text.indexOf('{', 1);
      return text.slice(start, text.indexOf('}', start) + 1);
    };
    // Ten devices whose labels texts the doorkeeper's sample skips (the top three bits of their hash set).
    const steady: number[] = [];
    for (let d = 500_000; steady.length < 10; d++) {
      const text = labelsText(d);
      if (hashRange(text, 0, text.length) >>> 29 !== 0) steady.push(d);
    }
    const flood = (t: number) => Array.from({ length: 2000 }, (_, i) => 1_000_000 + t * 2000 + i);
    for (let t = 0; t < 14; t++) planBatch(batchOf(flood(t), t), undefined, normaliser);
    assert.equal(normaliser.cache.doorkeeperSampled, true);
    for (let t = 14; t < 40; t++) planBatch(batchOf([...steady, ...flood(t)], t), undefined, normaliser);
    normaliser.startBatch();
    for (const device of steady) {
      const text = labelsText(device);
      assert.ok(normaliser.cache.byText(text, 0, text.length) !== undefined, `device ${device}`);
    }
  });

  test('held series keep their label bytes while the cache churns and compacts its slabs', () => {
    // About 800 label sets fit; each batch brings 100 devices new to it, which come back in the next 7 batches.
    const normaliser = new SampleNormaliser(undefined, { maxBytes: 2_500_000, maxSeries: 1_000_000 });
    const cache = normaliser.cache;
    // Each held series' label bytes as first seen: a compaction gives a series a new view of the same bytes.
    const firstView = new Map<object, Uint8Array>();
    let moved = 0;
    for (let t = 0; t < 60; t++) {
      const devices = Array.from({ length: 800 }, (_, i) => t * 100 + i);
      const messages = batchOf(devices, t);
      const plan = planBatch(messages, undefined, normaliser);
      if (t % 20 === 19)
        assert.deepEqual(
          describePlan(plan),
          describePlan(planBatch(messages, undefined, new SampleNormaliser())),
        );
      normaliser.startBatch();
      if (t % 4 !== 3) continue;
      let liveBytes = 0;
      for (const series of cache.identities) {
        if (series.id < 0) continue;
        assert.ok(
          Buffer.from(encodeLabelFields(series.labels)).equals(series.encodedLabels),
          `series ${series.id}`,
        );
        // Grouping reads the same bytes by id, in the same slab (a stale one would be kept from the collector).
        const { slab, start, end } = cache.fields;
        assert.equal(slab[series.id]!.buffer, series.encodedLabels.buffer);
        assert.ok(
          Buffer.from(slab[series.id]!.subarray(start[series.id], end[series.id])).equals(
            series.encodedLabels,
          ),
          `series ${series.id} by id`,
        );
        liveBytes += series.encodedLabels.length;
        const first = firstView.get(series);
        if (first === undefined) firstView.set(series, series.encodedLabels);
        else if (first !== series.encodedLabels) moved++;
      }
      assert.ok(
        cache.held.slabBytes <= 2 * liveBytes + 2 * SLAB_BYTES,
        `${cache.held.slabBytes} bytes of slabs for ${liveBytes} bytes of held series`,
      );
    }
    // Forgotten series left slabs sparse, and the series still held there were moved.
    assert.ok(moved > 0, 'no series was moved');
  });

  test('a normaliser with a tiny cache plans every batch exactly as a fresh one', () => {
    const small = new SampleNormaliser(undefined, { maxBytes: 20_000, maxSeries: 40 });
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 40 }), { maxLength: 8 }),
        (batches) => {
          batches.forEach((devices, t) => {
            const messages = batchOf(devices, t);
            assert.deepEqual(
              describePlan(planBatch(messages, undefined, small)),
              describePlan(planBatch(messages, undefined, new SampleNormaliser())),
            );
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  test('names to sanitise: a tiny cache plans as a fresh one, with or without the scanner', () => {
    const small = new SampleNormaliser(undefined, { maxBytes: 20_000, maxSeries: 40 });
    const body = (d: number, t: number): string =>
      JSON.stringify({
        labels: d % 2 === 0 ? { 'dev-id': `d-${d}`, site: 's' } : { device: `d-${d}` },
        timestamp: SENT - 60_000 + t,
        metrics: { 'temp-c': d, humidity: t, 'bat.v': 3.3 },
      });
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 40 }), { maxLength: 8 }),
        fc.boolean(),
        (batches, scan) => {
          batches.forEach((devices, t) => {
            const messages = devices.map((d, i) => ({
              messageId: `m-${t}-${i}`,
              body: body(d, t),
              sentTimestampMs: SENT,
            }));
            assert.deepEqual(
              describePlan(planBatch(messages, undefined, small, { scan })),
              describePlan(planBatch(messages, undefined, new SampleNormaliser())),
            );
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  test('TextIndex deletes keep every other key reachable', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.string({ maxLength: 3 })), { maxLength: 300 }),
        (operations) => {
          const index = new TextIndex<number>();
          const model = new Map<string, number>();
          operations.forEach(([insert, key], i) => {
            if (insert) {
              index.set(key, i);
              model.set(key, i);
            } else {
              assert.equal(index.delete(key), model.delete(key));
            }
          });
          assert.equal(index.size, model.size);
          for (const [key, value] of model) assert.equal(index.get(key), value);
        },
      ),
    );
  });
});
