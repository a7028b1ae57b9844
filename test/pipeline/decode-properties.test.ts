// Property tests of the decoders: (1) no input makes them throw anything but an InvalidMessageError, and what they
// return is well-formed; (2) generated valid messages of every format decode to exactly the generated samples.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MAX_TIMESTAMP_MS, decodeMessage } from '../../functions/pipeline/decode/index.js';
import { InvalidMessageError } from '../../functions/pipeline/errors.js';
import type { DecodedSample } from '../../functions/pipeline/model.js';

const SENT = 1_732_531_234_567;
const ID = 'prop-msg';
const RUNS = { numRuns: 300 };

/** Decodes and checks the outcome is either well-formed samples or an InvalidMessageError for this message. */
function decodeChecked(body: string): DecodedSample[] | InvalidMessageError {
  try {
    const { samples, skippedRecords } = decodeMessage({ messageId: ID, body, sentTimestampMs: SENT });
    assert.ok(samples.length > 0);
    assert.ok(Number.isInteger(skippedRecords) && skippedRecords >= 0);
    for (const s of samples) {
      assert.equal(typeof s.name, 'string');
      assert.ok(s.name.length > 0);
      const wellFormed = (text: string) => (text as unknown as { isWellFormed(): boolean }).isWellFormed();
      assert.ok(wellFormed(s.name), s.name);
      for (const [k, v] of Object.entries(s.labels)) assert.ok(wellFormed(k) && wellFormed(v), k);
      assert.equal(typeof s.value, 'number');
      assert.ok(
        Number.isSafeInteger(s.timestampMs) && s.timestampMs >= 0 && s.timestampMs <= MAX_TIMESTAMP_MS,
      );
      for (const key of Object.keys(s.labels)) assert.equal(typeof s.labels[key], 'string');
    }
    return samples;
  } catch (error) {
    if (!(error instanceof InvalidMessageError)) throw error;
    assert.equal(error.messageId, ID);
    assert.ok(error.message.startsWith(`message ${ID}: `), error.message);
    assert.ok(error.reason.length > 0);
    return error;
  }
}

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const anyJson = fc.jsonValue({ maxDepth: 4 });
/** Any UTF-16 code units, so lone surrogates are common rather than rare. */
const codeUnitString = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  maxLength: 200,
});

describe('never anything but InvalidMessageError', () => {
  test('arbitrary strings, including lone surrogates and control characters', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), codeUnitString), (body) => {
        decodeChecked(body);
      }),
      RUNS,
    );
  });

  test('arbitrary JSON texts, plain and as base64', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 5 }), fc.boolean(), (text, encode) => {
        decodeChecked(encode ? base64(text) : text);
      }),
      RUNS,
    );
  });

  test('arbitrary bytes as base64', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        decodeChecked(Buffer.from(bytes).toString('base64'));
      }),
      RUNS,
    );
  });

  test('message-shaped objects with arbitrary field values', () => {
    const field = fc.option(anyJson, { nil: undefined });
    const sampleLike = fc.record(
      { name: field, value: field, timestamp: field, labels: fc.option(fc.dictionary(fc.string(), anyJson)) },
      { requiredKeys: [] },
    );
    const reportLike = fc.record(
      { metrics: fc.oneof(fc.dictionary(fc.string(), anyJson), anyJson), timestamp: field, labels: field },
      { requiredKeys: ['metrics'] },
    );
    const senmlKey = fc.constantFrom(
      'bn',
      'bt',
      'bu',
      'bv',
      'bs',
      'bver',
      'n',
      'u',
      'v',
      'vs',
      'vb',
      'vd',
      's',
      't',
      'ut',
      'x_',
      'x',
    );
    const senmlValue = fc.oneof(anyJson, fc.double(), fc.integer({ min: -(2 ** 40), max: 2 ** 40 }));
    const senmlRecord = fc.dictionary(senmlKey, senmlValue, { minKeys: 1, maxKeys: 6 });
    const body = fc.oneof(
      sampleLike,
      reportLike,
      fc.array(fc.oneof(sampleLike, reportLike, anyJson), { maxLength: 5 }),
      fc.array(fc.oneof(senmlRecord, senmlRecord, anyJson), { maxLength: 8 }),
    );
    fc.assert(
      fc.property(body, fc.boolean(), (value, encode) => {
        const text = JSON.stringify(value);
        decodeChecked(encode ? base64(text) : text);
      }),
      { numRuns: 600 },
    );
  });

  test('mutated valid bodies (one character changed, inserted or cut)', () => {
    const valid = [
      '{"name":"t","value":21.5,"timestamp":"2024-11-25T10:40:00.5+01:00","labels":{"device":"d-17"}}',
      '{"labels":{"device":"d-17"},"timestamp":1732531200000,"metrics":{"a":21.5,"b":"-Inf"}}',
      '[{"bn":"urn:dev:ow:1:","bt":1.276020076001e+09,"bu":"A","bver":5,"n":"voltage","u":"V","v":120.1},{"n":"current","t":-5,"v":1.2}]',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...valid),
        fc.nat(),
        fc.constantFrom('cut', 'insert', 'replace'),
        fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (text, at, how, piece, encode) => {
          const i = at % text.length;
          const mutated =
            how === 'cut'
              ? text.slice(0, i) + text.slice(i + piece.length)
              : text.slice(0, i) + piece + text.slice(how === 'insert' ? i : i + piece.length);
          decodeChecked(encode ? base64(mutated) : mutated);
        },
      ),
      { numRuns: 600 },
    );
  });
});

// ---- (2) generated valid messages ------------------------------------------------------------------------

/** A value as sent in JSON and the number it must decode to. */
const valueArb: fc.Arbitrary<{ json: unknown; expected: number }> = fc.oneof(
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .map((d) => (Object.is(d, -0) ? 0 : d))
    .map((d) => ({ json: d, expected: d })),
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .filter((d) => !Object.is(d, -0))
    .map((d) => ({ json: String(d), expected: d })),
  fc.constantFrom(
    { json: 'NaN', expected: NaN },
    { json: '+Inf', expected: Infinity },
    { json: 'Inf', expected: Infinity },
    { json: '-Inf', expected: -Infinity },
    { json: true, expected: 1 },
    { json: false, expected: 0 },
  ),
);

function rfc3339(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60000).toISOString().slice(0, 23);
  if (offsetMinutes === 0) return `${local}Z`;
  const abs = Math.abs(offsetMinutes);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${local}${offsetMinutes > 0 ? '+' : '-'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** A timestamp as sent (undefined: absent) and the ms it must decode to. */
const timestampArb: fc.Arbitrary<{ json: unknown; expected: number }> = fc.oneof(
  fc.constant({ json: undefined, expected: SENT }),
  fc.integer({ min: 0, max: MAX_TIMESTAMP_MS }).map((ms) => ({ json: ms, expected: ms })),
  fc
    .tuple(
      fc.integer({ min: 86_400_000, max: MAX_TIMESTAMP_MS - 86_400_000 }),
      fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
    )
    .map(([ms, offset]) => ({ json: rfc3339(ms, offset), expected: ms })),
);

const nameArb = fc.string({ minLength: 1, maxLength: 12 });
/** Label values as sent and as decoded: strings stay, numbers and booleans become their JSON text. */
const labelsArb: fc.Arbitrary<
  { json: Record<string, unknown>; expected: Record<string, string> } | undefined
> = fc.option(
  fc
    .dictionary(
      nameArb.filter((k) => k !== '__proto__'),
      fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean()),
      { maxKeys: 4 },
    )
    .map((json) => ({
      json,
      expected: Object.fromEntries(
        Object.entries(json).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
      ),
    })),
  { nil: undefined },
);

interface Generated {
  json: Record<string, unknown>;
  expected: DecodedSample[];
}

const sampleArb: fc.Arbitrary<Generated> = fc
  .tuple(nameArb, valueArb, timestampArb, labelsArb)
  .map(([name, value, timestamp, labels]) => ({
    json: { name, value: value.json, timestamp: timestamp.json, labels: labels?.json },
    expected: [
      { name, labels: labels?.expected ?? {}, value: value.expected, timestampMs: timestamp.expected },
    ],
  }));

const reportArb: fc.Arbitrary<Generated> = fc
  .tuple(fc.dictionary(nameArb, valueArb, { maxKeys: 5 }), timestampArb, labelsArb)
  .map(([metrics, timestamp, labels]) => ({
    json: {
      metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, v.json])),
      timestamp: timestamp.json,
      labels: labels?.json,
    },
    // Object.entries orders keys as JSON.parse's object will (integer-like keys first), so the order matches.
    expected: Object.entries(metrics).map(([name, v]) => ({
      name,
      labels: labels?.expected ?? {},
      value: v.expected,
      timestampMs: timestamp.expected,
    })),
  }));

/** Samples compared by round trips, so a generator that only produces empty messages cannot pass unnoticed. */
let samplesCompared = 0;

function checkRoundTrip(text: string, expected: DecodedSample[], skipped = 0): void {
  for (const body of [text, base64(text)]) {
    const outcome = decodeChecked(body);
    if (expected.length === 0) {
      assert.ok(outcome instanceof InvalidMessageError);
      assert.match(outcome.reason, /no numeric samples/);
    } else {
      assert.ok(!(outcome instanceof InvalidMessageError), String(outcome));
      assert.deepEqual(outcome, expected);
      samplesCompared += expected.length;
      assert.equal(decodeMessage({ messageId: ID, body, sentTimestampMs: SENT }).skippedRecords, skipped);
    }
  }
}

// A SenML record as generated: which fields it sets. The reference resolution below is deliberately naive.
interface SenmlSpec {
  bn?: string;
  bu?: string;
  btSeconds?: number;
  bv?: number;
  n?: string;
  u?: string;
  tMs?: number;
  value:
    | { kind: 'v'; json: unknown; expected: number }
    | { kind: 'vb'; json: boolean }
    | { kind: 'vs' }
    | { kind: 'none' };
}

const senmlSpecArb: fc.Arbitrary<SenmlSpec> = fc.record(
  {
    bn: fc.string({ maxLength: 6 }),
    bu: fc.string({ maxLength: 4 }),
    // Absolute base times stay ≥ 2^28 s even after t; relative ones stay small, so no record crosses 2^28.
    btSeconds: fc.oneof(
      fc.integer({ min: 2 ** 28 + 10_000, max: Math.floor(MAX_TIMESTAMP_MS / 1000) - 10_000 }),
      fc.integer({ min: -1_000_000, max: 1_000_000 }),
    ),
    bv: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
    n: nameArb,
    u: fc.string({ maxLength: 4 }),
    tMs: fc.integer({ min: -1_000_000, max: 1_000_000 }),
    value: fc.oneof(
      valueArb.map((v) => ({ kind: 'v' as const, json: v.json, expected: v.expected })),
      fc.boolean().map((b) => ({ kind: 'vb' as const, json: b })),
      fc.constant({ kind: 'vs' as const }),
      fc.constant({ kind: 'none' as const }),
    ),
  },
  { requiredKeys: ['value'] },
);

function senmlCase(specs: SenmlSpec[]): { text: string; expected: DecodedSample[]; skipped: number } {
  const records: Record<string, unknown>[] = [];
  const expected: DecodedSample[] = [];
  let skipped = 0;
  let bn: string | undefined;
  let bu: string | undefined;
  let bt = 0;
  let bv = 0;
  for (const spec of specs) {
    const record: Record<string, unknown> = {};
    if (spec.bn !== undefined) record.bn = bn = spec.bn;
    if (spec.bu !== undefined) record.bu = bu = spec.bu;
    if (spec.btSeconds !== undefined) record.bt = bt = spec.btSeconds;
    if (spec.bv !== undefined) record.bv = bv = spec.bv === 0 ? 0 : spec.bv;
    const kind = spec.value.kind;
    if (kind === 'none') {
      // A record without a value may only carry base fields; give it one so it is not an empty object.
      if (Object.keys(record).length === 0) record.bu = bu = '';
      records.push(record);
      continue;
    }
    let n = spec.n;
    if ((bn ?? '') + (n ?? '') === '') n = 'metric';
    if (n !== undefined) record.n = n;
    if (spec.u !== undefined) record.u = spec.u;
    if (spec.tMs !== undefined) record.t = spec.tMs / 1000;
    if (kind === 'vs') {
      record.vs = 'text';
      skipped++;
      records.push(record);
      continue;
    }
    let value: number;
    if (spec.value.kind === 'v') {
      record.v = spec.value.json;
      value = bv + spec.value.expected;
    } else {
      record.vb = spec.value.json;
      value = spec.value.json ? 1 : 0;
    }
    records.push(record);
    const seconds = bt + (spec.tMs ?? 0) / 1000;
    const ms = bt * 1000 + (spec.tMs ?? 0);
    const labels: Record<string, string> = {};
    if (bn !== undefined) labels.base_name = bn;
    const unit = spec.u ?? bu;
    if (unit !== undefined) labels.unit = unit;
    expected.push({
      name: bn !== undefined && n !== undefined && n !== '' ? n : (bn ?? '') + (n ?? ''),
      labels,
      value,
      timestampMs: seconds < 2 ** 28 ? SENT + ms : ms,
    });
  }
  return { text: JSON.stringify(records), expected, skipped };
}

describe('valid messages decode to exactly what was generated', () => {
  test('Sample', () => {
    samplesCompared = 0;
    fc.assert(
      fc.property(sampleArb, (g) => checkRoundTrip(JSON.stringify(g.json), g.expected)),
      RUNS,
    );
    assert.ok(samplesCompared > RUNS.numRuns, `only ${samplesCompared} samples compared`);
  });

  test('Report', () => {
    samplesCompared = 0;
    fc.assert(
      fc.property(reportArb, (g) => checkRoundTrip(JSON.stringify(g.json), g.expected)),
      RUNS,
    );
    assert.ok(samplesCompared > RUNS.numRuns, `only ${samplesCompared} samples compared`);
  });

  test('Array of Samples and Reports', () => {
    samplesCompared = 0;
    fc.assert(
      fc.property(fc.array(fc.oneof(sampleArb, reportArb), { maxLength: 6 }), (items) =>
        checkRoundTrip(
          JSON.stringify(items.map((g) => g.json)),
          items.flatMap((g) => g.expected),
        ),
      ),
      RUNS,
    );
    assert.ok(samplesCompared > RUNS.numRuns, `only ${samplesCompared} samples compared`);
  });

  test('SenML pack', () => {
    samplesCompared = 0;
    fc.assert(
      fc.property(fc.array(senmlSpecArb, { minLength: 1, maxLength: 8 }), (specs) => {
        const { text, expected, skipped } = senmlCase(specs);
        checkRoundTrip(text, expected, skipped);
      }),
      RUNS,
    );
    assert.ok(samplesCompared > RUNS.numRuns, `only ${samplesCompared} samples compared`);
  });
});
