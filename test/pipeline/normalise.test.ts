import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_PIPELINE_CONFIG, type PipelineConfig } from '../../functions/pipeline/config.js';
import { InvalidMessageError } from '../../functions/pipeline/errors.js';
import type { DecodedSample } from '../../functions/pipeline/model.js';
import {
  isValidLabelName,
  NameSanitiser,
  isValidMetricName,
  sanitiseLabelName,
  sanitiseMetricName,
} from '../../functions/pipeline/names.js';
import {
  SampleNormaliser,
  compareLabelNames,
  prepareExtraLabels,
} from '../../functions/pipeline/normalise.js';

const sample = (
  name: string,
  labels: Record<string, string>,
  extra: Partial<DecodedSample> = {},
): DecodedSample => ({
  name,
  labels,
  value: 1,
  timestampMs: 1_732_531_200_000,
  ...extra,
});

function config(extraLabels: Record<string, string> = {}, limits = {}): PipelineConfig {
  return {
    ...DEFAULT_PIPELINE_CONFIG,
    extraLabels,
    limits: { ...DEFAULT_PIPELINE_CONFIG.limits, ...limits },
  };
}

function invalid(fn: () => unknown, field: RegExp, reason: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof InvalidMessageError, `expected InvalidMessageError, got ${String(error)}`);
    assert.equal(error.messageId, 'm-1');
    assert.match(error.field, field);
    assert.match(error.reason, reason);
    assert.match(error.message, /^message m-1: field /);
    return true;
  });
}

describe('name sanitisation', () => {
  test('replaces every invalid character, one _ per code point', () => {
    assert.equal(sanitiseMetricName('temp.celsius-1'), 'temp_celsius_1');
    assert.equal(sanitiseMetricName('ns:metric'), 'ns:metric');
    assert.equal(sanitiseLabelName('ns:label'), 'ns_label');
    assert.equal(sanitiseMetricName('tempé🌡'), 'temp__');
    assert.equal(sanitiseLabelName('zone id'), 'zone_id');
  });

  test('prefixes a leading digit', () => {
    assert.equal(sanitiseMetricName('1wire_temp'), '_1wire_temp');
    assert.equal(sanitiseLabelName('2nd'), '_2nd');
  });

  test('always yields a valid name for a non-empty input', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: 'grapheme' }), (name) => {
        assert.ok(isValidMetricName(sanitiseMetricName(name)));
        assert.ok(isValidLabelName(sanitiseLabelName(name)));
        assert.equal(sanitiseMetricName(sanitiseMetricName(name)), sanitiseMetricName(name));
      }),
    );
  });
});

describe('label normalisation', () => {
  test('sorts by byte order with __name__ in its place, not first', () => {
    const out = new SampleNormaliser(config()).seriesOf(
      sample('up', { app: 'a', Zone: 'z', _x: 'x' }),
      'm-1',
    );
    assert.deepEqual(
      out.labels.map((l) => l.name),
      ['Zone', '__name__', '_x', 'app'],
    );
    assert.deepEqual(out.labels[1], { name: '__name__', value: 'up' });
  });

  test('drops empty values and merges extra labels, the message winning', () => {
    const normaliser = new SampleNormaliser(config({ region: 'eu-west-1', site: 'default' }));
    const out = normaliser.seriesOf(sample('t', { site: 'north', empty: '' }), 'm-1');
    assert.deepEqual(out.labels, [
      { name: '__name__', value: 't' },
      { name: 'region', value: 'eu-west-1' },
      { name: 'site', value: 'north' },
    ]);
  });

  test('sanitises names, and refuses two labels that collide once sanitised', () => {
    const normaliser = new SampleNormaliser(config());
    const out = normaliser.seriesOf(sample('a.b', { 'device-id': 'd1' }), 'm-1');
    assert.deepEqual(
      out.labels.map((l) => `${l.name}=${l.value}`),
      ['__name__=a_b', 'device_id=d1'],
    );
    invalid(
      () => normaliser.seriesOf(sample('x', { 'a-b': '1', a_b: '2' }), 'm-1'),
      /^labels\.a_b$/,
      /both become "a_b"/,
    );
  });

  test('refuses labels starting with __, naming the record', () => {
    invalid(
      () => new SampleNormaliser(config()).seriesOf(sample('x', { __name__: 'y' }, { path: '[2]' }), 'm-1'),
      /^\[2\]\.labels\.__name__$/,
      /reserved/,
    );
  });

  test('enforces the label count and length limits with a clear error', () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 70; i++) many[`l${i}`] = 'v';
    invalid(
      () => new SampleNormaliser(config()).seriesOf(sample('x', many), 'm-1'),
      /labels/,
      /71 labels .* limit is 70/,
    );
    invalid(
      () =>
        new SampleNormaliser(config({}, { maxLabelValueLength: 4 })).seriesOf(
          sample('x', { a: 'long!' }),
          'm-1',
        ),
      /labels\.a/,
      /5 bytes, the limit is 4/,
    );
    // Limits are in UTF-8 bytes, as receivers count them: 3 characters of 2 bytes each exceed 5 bytes.
    invalid(
      () =>
        new SampleNormaliser(config({}, { maxLabelValueLength: 5 })).seriesOf(
          sample('x', { a: 'ééé' }),
          'm-1',
        ),
      /labels\.a/,
      /6 bytes, the limit is 5/,
    );
    assert.doesNotThrow(() =>
      new SampleNormaliser(config({}, { maxLabelValueLength: 6 })).seriesOf(sample('x', { a: 'ééé' }), 'm-1'),
    );
    invalid(
      () =>
        new SampleNormaliser(config({}, { maxLabelNameLength: 3 })).seriesOf(
          sample('x', { abcd: 'v' }),
          'm-1',
        ),
      /labels\.abcd/,
      /limit is 3/,
    );
  });

  test('gives equal keys to equal label sets whatever the input order, and different keys otherwise', () => {
    const n = new SampleNormaliser(config());
    const a = n.seriesOf(sample('m', { a: '1', b: '2' }), 'm-1');
    const b = n.seriesOf(sample('m', { b: '2', a: '1' }), 'm-1');
    const c = n.seriesOf(sample('m', { a: '12' }), 'm-1');
    const d = n.seriesOf(sample('m', { a: '1', b: '2' }), 'm-1');
    assert.equal(a.key, b.key);
    assert.equal(a.key, d.key);
    assert.equal(a, d, 'one identity object per series');
    assert.notEqual(a.key, c.key);
  });

  test('rejects invalid EXTRA_LABELS at configuration time', () => {
    assert.throws(() => prepareExtraLabels({ 'bad-name': 'x' }), /not a valid label name/);
    assert.throws(() => prepareExtraLabels({ __x: 'x' }), /reserved/);
  });

  test('property: labels are sorted by bytes, unique, non-empty, with exactly one __name__', () => {
    const labelMap = fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 10 });
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 10 }), labelMap, labelMap, (name, labels, extra) => {
        let normaliser: SampleNormaliser;
        try {
          normaliser = new SampleNormaliser(config(extra));
        } catch {
          return; // invalid extra labels are a configuration error, tested above
        }
        let out;
        try {
          out = normaliser.seriesOf(sample(name, labels), 'm-1');
        } catch (error) {
          assert.ok(error instanceof InvalidMessageError, String(error));
          return;
        }
        const names = out.labels.map((l) => l.name);
        for (let i = 1; i < names.length; i++) {
          assert.ok(Buffer.compare(Buffer.from(names[i - 1]!), Buffer.from(names[i]!)) < 0, names.join(','));
        }
        assert.equal(names.filter((n) => n === '__name__').length, 1);
        for (const l of out.labels) {
          assert.notEqual(l.name, '');
          assert.notEqual(l.value, '');
          assert.ok(l.name === '__name__' ? isValidMetricName(l.value) : isValidLabelName(l.name));
        }
      }),
      { numRuns: 500 },
    );
  });

  test('compareLabelNames is byte order', () => {
    assert.deepEqual(['app', '__name__', 'Zone', 'a_b', 'aB'].sort(compareLabelNames), [
      'Zone',
      '__name__',
      'aB',
      'a_b',
      'app',
    ]);
  });
});

test('huge invalid names are sanitised without being remembered, so bad input cannot grow a warm Lambda', () => {
  const names = new NameSanitiser();
  for (let i = 0; i < 50; i++) names.metricName(`${i}-${'x'.repeat(20_000)}`);
  assert.equal(names.size, 0);
  names.metricName('short-name-1');
  assert.equal(names.size, 1, 'short names are still remembered');
  assert.equal(names.metricName(`1-${'x'.repeat(300)}`), `_1_${'x'.repeat(300)}`);
  assert.equal(sanitiseMetricName(`1-${'x'.repeat(300)}`), `_1_${'x'.repeat(300)}`);
});
