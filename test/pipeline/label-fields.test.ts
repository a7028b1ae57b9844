import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { encodeLabelFields } from '../../functions/pipeline/encode.js';
import { seriesFieldsOf, setFieldsOf, withSeries } from '../../functions/pipeline/label-fields.js';
import { compareLabelNames, withMetricName } from '../../functions/pipeline/label-rules.js';
import type { Label } from '../../functions/pipeline/model.js';

const labelName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/).filter((n) => !n.startsWith('__'));
const labelValue = fc.oneof(
  fc.string({ minLength: 1, maxLength: 20 }),
  fc.string({ minLength: 100, maxLength: 300 }),
);
const metricName = fc.oneof(
  fc.stringMatching(/^[A-Za-z_:][A-Za-z0-9_:]{0,20}$/),
  fc.stringMatching(/^[a-z]{120,200}$/),
);

test('a series\u2019 fields spliced from its set\u2019s equal encoding its whole label list', () => {
  fc.assert(
    fc.property(fc.dictionary(labelName, labelValue, { maxKeys: 8 }), metricName, (dict, name) => {
      const labels: Label[] = Object.entries(dict)
        .map(([n, value]) => ({ name: n, value }))
        .sort((a, b) => compareLabelNames(a.name, b.name));
      const full = withMetricName(labels, name);
      const set = setFieldsOf(labels);
      const spliced = seriesFieldsOf(set, name, full);
      assert.deepEqual([...spliced], [...encodeLabelFields(full)]);
      // A later series, spliced from the first one's bytes.
      const other = withMetricName(labels, `${name}_b`);
      const next = seriesFieldsOf(withSeries(set, spliced), `${name}_b`, other);
      assert.deepEqual([...next], [...encodeLabelFields(other)]);
    }),
    { numRuns: 500 },
  );
});

test('a non-ASCII name is encoded from the label list', () => {
  const labels: Label[] = [{ name: 'a', value: 'x' }];
  const full = withMetricName(labels, 'é');
  assert.deepEqual([...seriesFieldsOf(setFieldsOf(labels), 'é', full)], [...encodeLabelFields(full)]);
});
