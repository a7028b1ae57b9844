// The direct scanner is a fast path: for every body it must either step aside or give exactly what
// decodeMessage and the normaliser give. These tests compare whole plans made with and without it, on bodies
// generated to hit its edges (whitespace, escapes, repeated keys, odd numbers, unknown fields, invalid JSON).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ScannedObject, scanObjectBody } from '../../functions/pipeline/decode/object-scanner.js';
import type { SourceMessage } from '../../functions/pipeline/model.js';
import { SampleNormaliser } from '../../functions/pipeline/normalise.js';
import { planBatch, type BatchPlan } from '../../functions/pipeline/plan.js';
import { plainSeriesOf } from '../../functions/pipeline/write-batch.js';

const SENT = 1_732_531_200_000;

/** Everything a plan says, in comparable form (values by their bits, so -0 and NaN compare exactly). */
function describePlan(plan: BatchPlan): unknown {
  return {
    batches: plan.batches.map((batch) =>
      plainSeriesOf(batch).map((s) => ({
        labels: s.labels,
        samples: s.samples.map((x) => ({ ...x, value: Object.is(x.value, -0) ? '-0' : String(x.value) })),
      })),
    ),
    after: plan.after,
    invalid: plan.invalid.map((f) => [f.index, f.messageId, f.error.message]),
    stats: plan.stats,
  };
}

function messagesOf(bodies: readonly string[]): SourceMessage[] {
  return bodies.map((body, i) => ({ messageId: `m-${i}`, body, sentTimestampMs: SENT + i }));
}

function assertSamePlans(bodies: readonly string[]): void {
  const messages = messagesOf(bodies);
  // One normaliser per path, kept over two batches: the second batch meets the scanner's memory of the first.
  const fast = new SampleNormaliser();
  const slow = new SampleNormaliser();
  for (let round = 0; round < 2; round++) {
    assert.deepEqual(
      describePlan(planBatch(messages, undefined, fast)),
      describePlan(planBatch(messages, undefined, slow, { scan: false })),
    );
  }
}

// ---- generators: JSON text built by hand, so keys can repeat and whitespace can go anywhere ----------------

const ws = fc.constantFrom('', '', '', ' ', '\n', '\t ', '\r\n');
const plainName = fc.constantFrom('temperature', 'humidity_percent', 'a.b', 'x-y', '1wire', 'Zone', 'site');
const oddName = fc.constantFrom(
  '1',
  '42',
  '_1',
  '',
  '__name__',
  '__x',
  'a"b',
  'a\\b',
  'é',
  'a}b',
  'n\u0001',
  '\ud83d\ude00',
  'x'.repeat(300),
);
const name = fc.oneof({ weight: 6, arbitrary: plainName }, { weight: 1, arbitrary: oddName });
const labelValue = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('d-1', 'd-2', 'north', '', 'a}b', 'q"x', 'é', '\ud800') },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
);

/** Short decimals, the fast path's exact division: "21.5", "-0.007", "1234.56789". */
const decimalText = fc
  .tuple(fc.integer({ min: 0, max: 999_999_999 }), fc.integer({ min: 1, max: 9 }), fc.boolean())
  .map(([mantissa, places, negative]) => {
    const digits = String(mantissa).padStart(places + 1, '0');
    return `${negative ? '-' : ''}${digits.slice(0, -places)}.${digits.slice(-places)}`;
  });
const numberText = fc.oneof(
  decimalText,
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.integer().map(String),
  fc.constantFrom(
    '-0',
    '0',
    '0.1',
    '1e5',
    '1E-3',
    '-2.5e+3',
    '123456789012345678',
    '0.30000000000000004',
    '1e400',
  ),
  fc.constantFrom('01', '1.', '.5', '-', '+1', '1e', 'NaN', 'true', 'null', '"12"', '"NaN"', '[]'),
);
const timestampText = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 45 }).map(String),
  fc.constantFrom(
    '0',
    '1732531200000.5',
    '-5',
    '1e12',
    '253402300799999',
    '253402300800000',
    '99999999999999999',
  ),
  fc.constantFrom('"2024-11-25T10:40:00Z"', '"junk"', 'null', '{}'),
);

function quoted(text: string): string {
  // Names with quotes or backslashes are written escaped (valid JSON); control characters raw (invalid JSON).
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function objectText(entries: ReadonlyArray<readonly [string, string]>, space: readonly string[]): string {
  const parts = entries.map(
    ([key, value], i) => `${space[i % space.length]}${quoted(key)}${space[(i + 1) % space.length]}:${value}`,
  );
  return `{${parts.join(',')}${space[0]}}`;
}

const labelsText = fc
  .tuple(fc.array(fc.tuple(name, labelValue), { maxLength: 4 }), fc.array(ws, { minLength: 1, maxLength: 3 }))
  .map(([pairs, space]) =>
    objectText(
      pairs.map(([k, v]) => [k, quoted(v)] as const),
      space,
    ),
  );

const metricsText = fc
  .tuple(fc.array(fc.tuple(name, numberText), { maxLength: 4 }), fc.array(ws, { minLength: 1, maxLength: 3 }))
  .map(([pairs, space]) => objectText(pairs, space));

const unknownValue = fc.constantFrom(
  '"topic/a"',
  '{"a":[1,2,{"b":null}]}',
  '[true,false]',
  '"esc\\u0041\\n"',
  '1e999',
  '{"x":}',
);

const field = fc.oneof(
  fc.tuple(fc.constant('labels'), labelsText),
  fc.tuple(fc.constant('timestamp'), timestampText),
  fc.tuple(fc.constant('metrics'), metricsText),
  fc.tuple(fc.constant('name'), name.map(quoted)),
  fc.tuple(fc.constant('value'), numberText),
  fc.tuple(fc.constantFrom('topic', 'clientid', 'labels', 'metrics'), unknownValue),
);

/** Well-formed reports and samples, mostly in the scanner's subset, in any field order. */
const goodBody = fc
  .tuple(
    fc.dictionary(plainName, fc.constantFrom('d-1', 'd-2', 'north', ''), { maxKeys: 3 }),
    fc.option(fc.integer({ min: 0, max: 2 ** 42 }), { nil: undefined }),
    fc.dictionary(plainName, fc.oneof(decimalText, fc.integer().map(String)), { minKeys: 1, maxKeys: 4 }),
    fc.boolean(),
    fc.array(ws, { minLength: 1, maxLength: 3 }),
  )
  .map(([labels, timestamp, metrics, asSample, space]) => {
    const fields: Array<readonly [string, string]> = [];
    if (Object.keys(labels).length > 0)
      fields.push([
        'labels',
        objectText(
          Object.entries(labels).map(([k, v]) => [k, quoted(v)] as const),
          space,
        ),
      ]);
    if (timestamp !== undefined) fields.push(['timestamp', String(timestamp)]);
    const [first] = Object.entries(metrics);
    if (asSample && first !== undefined) fields.push(['name', quoted(first[0])], ['value', first[1]]);
    else fields.push(['metrics', objectText(Object.entries(metrics), space)]);
    if (space.length > 1) fields.reverse();
    return objectText(fields, space);
  });

const body = fc.oneof(
  { weight: 8, arbitrary: goodBody },
  {
    weight: 8,
    arbitrary: fc
      .tuple(fc.array(field, { minLength: 1, maxLength: 5 }), fc.array(ws, { minLength: 1, maxLength: 3 }))
      .map(([fields, space]) => objectText(fields, space)),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{}',
      '[]',
      ' {"metrics":{"a":1}}',
      '{"metrics":{"a":1}} x',
      '{"metrics":{"a":1}',
      'eyJtZXRyaWNzIjp7ImEiOjF9fQ==',
    ),
  },
);

/** The numbers of one body, and an optional edit (one character replaced at a position). */
interface BodyNumbers {
  timestamp: string;
  values: string[];
  edit: [number, string] | null;
}

/** A body's numbers, valid or not, and now and then one of `editChars` put in place of a character anywhere. */
function bodyNumbers(editChars: string[], freq: number): fc.Arbitrary<BodyNumbers> {
  return fc.record({
    timestamp: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: 2 ** 42 }).map(String) },
      timestampText,
    ),
    values: fc.array(fc.oneof({ weight: 4, arbitrary: decimalText }, numberText), {
      minLength: 4,
      maxLength: 4,
    }),
    edit: fc.option(fc.tuple(fc.nat(), fc.constantFrom(...editChars)), { freq }),
  });
}

/** A Sample or Report body of these labels and names, with `v`'s numbers and edit, spaced by `space`. */
function renderBody(
  d: {
    labels: ReadonlyArray<readonly [string, string]>;
    names: string[];
    withTimestamp: boolean;
    asSample: boolean;
    space: string[];
  },
  v: BodyNumbers,
): string {
  const labels = objectText(
    d.labels.map(([k, x]) => [k, quoted(x)] as const),
    d.space,
  );
  const fields: Array<readonly [string, string]> = [['labels', labels]];
  if (d.withTimestamp) fields.push(['timestamp', v.timestamp]);
  if (d.asSample) fields.push(['name', quoted(d.names[0]!)], ['value', v.values[0]!]);
  else
    fields.push([
      'metrics',
      objectText(
        d.names.map((n, i) => [n, v.values[i]!] as const),
        d.space,
      ),
    ]);
  const text = objectText(fields, d.space);
  if (v.edit === null) return text;
  const at = v.edit[0] % (text.length + 1);
  return text.slice(0, at) + v.edit[1] + text.slice(at + 1);
}

describe('object scanner', () => {
  test('property: plans are the same with and without the scanner', () => {
    // The property must not hold vacuously: a fair share of the generated bodies has to take the fast path.
    const probe = new ScannedObject();
    let scanned = 0;
    let total = 0;
    fc.assert(
      fc.property(fc.array(body, { minLength: 1, maxLength: 12 }), (bodies) => {
        for (const text of bodies) if (scanObjectBody(text, probe)) scanned++;
        total += bodies.length;
        assertSamePlans(bodies);
      }),
      { numRuns: 1500 },
    );
    assert.ok(scanned > total / 10, `only ${scanned} of ${total} bodies took the fast path`);
  });

  test('property: numbers read as JSON.parse reads them, or step aside', () => {
    const out = new ScannedObject();
    fc.assert(
      fc.property(numberText, (text) => {
        const json = `{"name":"x","value":${text}}`;
        let expected: number | undefined;
        try {
          const parsed: unknown = (JSON.parse(json) as { value: unknown }).value;
          expected = typeof parsed === 'number' && Number.isFinite(parsed) ? parsed : undefined;
        } catch {
          expected = undefined;
        }
        const accepted = scanObjectBody(json, out);
        if (expected === undefined) assert.equal(accepted, false, json);
        else if (accepted)
          assert.ok(Object.is(out.values[0], expected), `${json}: ${out.values[0]} vs ${expected}`);
      }),
      { numRuns: 3000 },
    );
  });

  test('takes the common report in one pass, and steps aside for what it leaves to decodeMessage', () => {
    const out = new ScannedObject();
    const report =
      '{"labels":{"device":"d-17","site":"north"},"timestamp":1732531200000,"metrics":{"t":21.5,"h":40}}';
    assert.equal(scanObjectBody(report, out), true);
    assert.equal(out.count, 2);
    assert.equal(out.timestampMs, 1732531200000);
    assert.equal(report.slice(out.labelsStart, out.labelsEnd), '{"device":"d-17","site":"north"}');
    assert.deepEqual([...out.values.subarray(0, 2)], [21.5, 40]);
    for (const other of [
      '{"metrics":{"t":1,"t":2}}', // repeated key: JSON.parse keeps the last
      '{"metrics":{"t":"1"}}', // a string value
      '{"metrics":{"t":1},"timestamp":"2024-11-25T10:40:00Z"}', // RFC 3339
      '{"metrics":{"t":1},"labels":{"n":5}}', // a number as label value
      '{"metrics":{"t\\u0041":1}}', // an escape
      '[{"name":"a","value":1}]', // an array body
    ])
      assert.equal(scanObjectBody(other, out), false, other);
  });

  test('recognises labels objects and metric names it has seen, and stays exact for look-alikes', () => {
    const bodies = [
      '{"labels":{"device":"d-1"},"metrics":{"t":1,"h":2}}',
      '{"labels":{"device":"d-1"},"metrics":{"t":3,"h":4}}',
      '{"labels":{"device":"d-1"},"metrics":{"h":5,"t":6}}',
      '{"labels":{"device":"d-1}","x":"y"},"metrics":{"t":7}}',
      '{"labels":{"device":"d-1"},"metrics":{"t":8,"t":9}}',
      '{"labels":{"device":"d-1"},"metrics":{"tt":10,"h":11}}',
    ];
    assertSamePlans(bodies);
  });

  test('property: bodies read through a learnt template equal a full scan', () => {
    // Devices with one layout each send bodies that differ in their numbers (valid or not) and, now and then, in
    // one character anywhere; the first body of a device teaches the template the others are read through.
    const device = fc.record({
      labels: fc.dictionary(plainName, fc.constantFrom('d-1', 'd-2', 'north', 'a}b'), {
        minKeys: 1,
        maxKeys: 3,
      }),
      names: fc.uniqueArray(plainName, { minLength: 1, maxLength: 4 }),
      withTimestamp: fc.boolean(),
      asSample: fc.boolean(),
      space: fc.array(ws, { minLength: 1, maxLength: 2 }),
    });
    const variant = bodyNumbers(['', ' ', '1', '"', '}', ',', 'x'], 4);
    interface Device {
      labels: Record<string, string>;
      names: string[];
      withTimestamp: boolean;
      asSample: boolean;
      space: string[];
    }
    const render = (d: Device, v: BodyNumbers): string =>
      renderBody({ ...d, labels: Object.entries(d.labels) }, v);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(device, fc.array(variant, { minLength: 2, maxLength: 6 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (devices) => {
          const bodies = devices.flatMap(([d, variants]) => variants.map((v) => render(d, v)));
          assertSamePlans(bodies);
        },
      ),
      { numRuns: 800 },
    );
  });

  test('property: bodies of labels never seen, read through the layout of another device, equal a full scan', () => {
    // A fleet too large to cache: every body brings labels memory does not know, in one layout (names, order,
    // spacing) shared by the fleet. The scanner learns the layout from one body and reads the others through it.
    const fleet = fc.record({
      labelKeys: fc.uniqueArray(plainName, { minLength: 1, maxLength: 3 }),
      names: fc.uniqueArray(plainName, { minLength: 1, maxLength: 4 }),
      withTimestamp: fc.boolean(),
      asSample: fc.boolean(),
      space: fc.array(ws, { minLength: 1, maxLength: 2 }),
    });
    const message = fc.record({
      labelValues: fc.array(fc.constantFrom('d-1', 'd-22', '', 'a}b', 'é', 'x y'), {
        minLength: 3,
        maxLength: 3,
      }),
      numbers: bodyNumbers(['', ' ', '1', '"', '}', ',', 'x', '{'], 5),
    });
    fc.assert(
      fc.property(fleet, fc.array(message, { minLength: 2, maxLength: 12 }), (f, messages) => {
        const bodies = messages.map((m) =>
          renderBody({ ...f, labels: f.labelKeys.map((k, i) => [k, m.labelValues[i]!] as const) }, m.numbers),
        );
        assertSamePlans(bodies);
      }),
      { numRuns: 800 },
    );
  });

  test('cases the property found or might miss', () => {
    assertSamePlans([
      '{"labels":{"":""},"name":"temperature","value":0.0}', // an empty name is an error even with an empty value
      '{"labels":{"a":"","b":"x"},"metrics":{"t":1}}',
      '{"labels":{"__name__":"y"},"metrics":{"t":1}}',
      '{"labels":{"a-b":"1","a_b":"2"},"metrics":{"t":1}}',
      '{"metrics":{"":1}}',
      '{"name":"t","value":1,"metrics":{"u":2}}',
      '{"name":"t"}',
      '{"metrics":{"t":-0}}',
      '{"metrics":{"t":1},"timestamp":253402300800000}',
      '{"metrics":{"t":1},"timestamp":0}',
      // JSON.parse puts integer-like keys first: "1" becomes the first sample although it comes second.
      '{"labels":{"d":"a"},"timestamp":1732531200000,"metrics":{"_1":10,"1":20}}',
      '{"metrics":{"b":1,"2":2,"1":3}}',
    ]);
  });

  test('a device whose bodies differ outside their numbers stops learning templates, and stays exact', () => {
    const bodies = Array.from(
      { length: 60 },
      // Whitespace that changes from body to body, as a device's JSON writer might.
      (_, i) => `{"labels":{"device":"d-1"},${' '.repeat(i % 13)}"metrics":{"t":${i}.5}}`,
    );
    assertSamePlans(bodies);
    const normaliser = new SampleNormaliser();
    // The first batch writes the new label set one-off; the second interns it and learns templates.
    planBatch(messagesOf(bodies), undefined, normaliser);
    planBatch(messagesOf(bodies), undefined, normaliser);
    const text = bodies[0]!;
    const start = text.indexOf('{', 1);
    const labels = normaliser.scanMemory.labelsAt(text, start, text.indexOf('}', start) + 1);
    assert.ok(labels !== undefined);
    assert.equal(labels.templatesLearnt, 4);
  });
});
