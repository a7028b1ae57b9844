import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeMessage } from '../../functions/pipeline/decode/index.js';
import { InvalidMessageError } from '../../functions/pipeline/errors.js';
import type { DecodedMessage, DecodedSample } from '../../functions/pipeline/model.js';

const SENT = 1_732_531_234_567;
const ID = 'senml-msg-1';

function decode(pack: unknown): DecodedMessage {
  return decodeMessage({ messageId: ID, body: JSON.stringify(pack), sentTimestampMs: SENT });
}

function rejects(pack: unknown, field: string, reasonPattern?: RegExp): void {
  assert.throws(
    () => decode(pack),
    (error: unknown) => {
      assert.ok(error instanceof InvalidMessageError, String(error));
      assert.equal(error.messageId, ID);
      assert.equal(error.field, field, error.message);
      assert.ok(error.message.startsWith(`message ${ID}: `), error.message);
      if (reasonPattern) assert.match(error.reason, reasonPattern);
      return true;
    },
  );
}

const sample = (
  name: string,
  labels: Record<string, string>,
  value: number,
  timestampMs: number,
): DecodedSample => ({ name, labels, value, timestampMs });

describe('RFC 8428 section 5.1 examples', () => {
  test('5.1.1 single data point, at an unspecified time: now = the arrival time', () => {
    const { samples } = decode([{ n: 'urn:dev:ow:10e2073a01080063', u: 'Cel', v: 23.1 }]);
    assert.deepEqual(samples, [sample('urn:dev:ow:10e2073a01080063', { unit: 'Cel' }, 23.1, SENT)]);
  });

  test('5.1.2 multiple data points: the name is n, and bn becomes the label base_name', () => {
    const { samples } = decode([
      { bn: 'urn:dev:ow:10e2073a01080063:', n: 'voltage', u: 'V', v: 120.1 },
      { n: 'current', u: 'A', v: 1.2 },
    ]);
    const base = 'urn:dev:ow:10e2073a01080063:';
    assert.deepEqual(samples, [
      sample('voltage', { base_name: base, unit: 'V' }, 120.1, SENT),
      sample('current', { base_name: base, unit: 'A' }, 1.2, SENT),
    ]);
  });

  test('5.1.3 multiple measurements: bt, bu and bver carry forward, t is relative to bt', () => {
    // Body text as in the RFC, so the exponent notation reaches JSON.parse unchanged.
    const body = `[
      {"bn":"urn:dev:ow:10e2073a0108006:","bt":1.276020076001e+09,"bu":"A","bver":5,"n":"voltage","u":"V","v":120.1},
      {"n":"current","t":-5,"v":1.2},
      {"n":"current","t":-4,"v":1.3},
      {"n":"current","t":-3,"v":1.4},
      {"n":"current","t":-2,"v":1.5},
      {"n":"current","t":-1,"v":1.6},
      {"n":"current","v":1.7}
    ]`;
    const { samples } = decodeMessage({ messageId: ID, body, sentTimestampMs: SENT });
    const base = 'urn:dev:ow:10e2073a0108006:';
    assert.deepEqual(samples, [
      sample('voltage', { base_name: base, unit: 'V' }, 120.1, 1276020076001),
      sample('current', { base_name: base, unit: 'A' }, 1.2, 1276020071001),
      sample('current', { base_name: base, unit: 'A' }, 1.3, 1276020072001),
      sample('current', { base_name: base, unit: 'A' }, 1.4, 1276020073001),
      sample('current', { base_name: base, unit: 'A' }, 1.5, 1276020074001),
      sample('current', { base_name: base, unit: 'A' }, 1.6, 1276020075001),
      sample('current', { base_name: base, unit: 'A' }, 1.7, 1276020076001),
    ]);
  });

  const humidityPack = `[
    {"bn":"urn:dev:ow:10e2073a01080063","bt":1.320067464e+09,"bu":"%RH","v":20},
    {"u":"lon","v":24.30621},
    {"u":"lat","v":60.07965},
    {"t":60,"v":20.3},
    {"u":"lon","t":60,"v":24.30622},
    {"u":"lat","t":60,"v":60.07965},
    {"t":120,"v":20.7},
    {"u":"lon","t":120,"v":24.30623},
    {"u":"lat","t":120,"v":60.07966},
    {"u":"%EL","t":150,"v":98},
    {"t":180,"v":21.2},
    {"u":"lon","t":180,"v":24.30628},
    {"u":"lat","t":180,"v":60.07967}
  ]`;
  const resolvedPack = `[
    {"n":"urn:dev:ow:10e2073a01080063","u":"%RH","t":1.320067464e+09,"v":20},
    {"n":"urn:dev:ow:10e2073a01080063","u":"lon","t":1.320067464e+09,"v":24.30621},
    {"n":"urn:dev:ow:10e2073a01080063","u":"lat","t":1.320067464e+09,"v":60.07965},
    {"n":"urn:dev:ow:10e2073a01080063","u":"%RH","t":1.320067524e+09,"v":20.3},
    {"n":"urn:dev:ow:10e2073a01080063","u":"lon","t":1.320067524e+09,"v":24.30622},
    {"n":"urn:dev:ow:10e2073a01080063","u":"lat","t":1.320067524e+09,"v":60.07965},
    {"n":"urn:dev:ow:10e2073a01080063","u":"%RH","t":1.320067584e+09,"v":20.7},
    {"n":"urn:dev:ow:10e2073a01080063","u":"lon","t":1.320067584e+09,"v":24.30623},
    {"n":"urn:dev:ow:10e2073a01080063","u":"lat","t":1.320067584e+09,"v":60.07966},
    {"n":"urn:dev:ow:10e2073a01080063","u":"%EL","t":1.320067614e+09,"v":98},
    {"n":"urn:dev:ow:10e2073a01080063","u":"%RH","t":1.320067644e+09,"v":21.2},
    {"n":"urn:dev:ow:10e2073a01080063","u":"lon","t":1.320067644e+09,"v":24.30628},
    {"n":"urn:dev:ow:10e2073a01080063","u":"lat","t":1.320067644e+09,"v":60.07967}
  ]`;

  test('5.1.4 (section 4.6 resolution): a pack and its resolved form give the same values, units and times', () => {
    const fromBase = decodeMessage({ messageId: ID, body: humidityPack, sentTimestampMs: SENT }).samples;
    const fromResolved = decodeMessage({ messageId: ID, body: resolvedPack, sentTimestampMs: SENT }).samples;
    assert.equal(fromBase.length, 13);
    const name = 'urn:dev:ow:10e2073a01080063';
    // With bn and no n the metric name is bn; the resolved form has no bn, so no base_name label.
    assert.deepEqual(
      fromBase,
      fromResolved.map((s) => ({ ...s, labels: { base_name: name, ...s.labels } })),
    );
    assert.deepEqual(fromResolved[9], sample(name, { unit: '%EL' }, 98, 1320067614000));
    assert.deepEqual(
      fromResolved.map((s) => s.timestampMs),
      [464, 464, 464, 524, 524, 524, 584, 584, 584, 614, 644, 644, 644].map((s) => (1320067000 + s) * 1000),
    );
  });

  test('5.1.5 multiple data types: vs and vd are skipped and counted, vb is 1/0', () => {
    const { samples, skippedRecords } = decode([
      { bn: 'urn:dev:ow:10e2073a01080063:', n: 'temp', u: 'Cel', v: 23.1 },
      { n: 'label', vs: 'Machine Room' },
      { n: 'open', vb: false },
      { n: 'nfc-reader', vd: 'aGkgCg' },
    ]);
    const base = 'urn:dev:ow:10e2073a01080063:';
    assert.equal(skippedRecords, 2);
    assert.deepEqual(samples, [
      sample('temp', { base_name: base, unit: 'Cel' }, 23.1, SENT),
      sample('open', { base_name: base }, 0, SENT),
    ]);
  });

  test('5.1.6 collection of resources: the last record uses the bn of the third and the bt of the first', () => {
    const { samples } = decode([
      { bn: '2001:db8::2/', bt: 1.320078429e9, n: 'temperature', u: 'Cel', v: 25.2 },
      { n: 'humidity', u: '%RH', v: 30 },
      { bn: '2001:db8::1/', n: 'temperature', u: 'Cel', v: 12.3 },
      { n: 'humidity', u: '%RH', v: 67 },
    ]);
    const t = 1320078429000;
    assert.deepEqual(samples, [
      sample('temperature', { base_name: '2001:db8::2/', unit: 'Cel' }, 25.2, t),
      sample('humidity', { base_name: '2001:db8::2/', unit: '%RH' }, 30, t),
      sample('temperature', { base_name: '2001:db8::1/', unit: 'Cel' }, 12.3, t),
      sample('humidity', { base_name: '2001:db8::1/', unit: '%RH' }, 67, t),
    ]);
  });

  test('5.1.7 setting an actuator: a record with only base fields yields nothing and is not counted', () => {
    const { samples, skippedRecords } = decode([
      { bn: 'urn:dev:ow:10e2073a01080063:' },
      { n: 'temp', u: 'Cel', v: 23.1 },
      { n: 'heat', u: '/', v: 1 },
      { n: 'fan', u: '/', v: 0 },
    ]);
    assert.equal(skippedRecords, 0);
    assert.deepEqual(
      samples.map((s) => [s.name, s.labels.unit, s.value]),
      [
        ['temp', 'Cel', 23.1],
        ['heat', '/', 1],
        ['fan', '/', 0],
      ],
    );
  });

  test('5.1.8 lights: bu applies to later records, fractional t gives milliseconds', () => {
    const { samples } = decode([
      { bt: 1.320078429e9, bu: '/', n: '2001:db8::3', v: 0.5 },
      { n: '2001:db8::4', v: 0.5 },
      { n: '2001:db8::3', t: 0.1, v: 0 },
      { n: '2001:db8::4', t: 0.1, v: 0 },
    ]);
    assert.deepEqual(samples, [
      sample('2001:db8::3', { unit: '/' }, 0.5, 1320078429000),
      sample('2001:db8::4', { unit: '/' }, 0.5, 1320078429000),
      sample('2001:db8::3', { unit: '/' }, 0, 1320078429100),
      sample('2001:db8::4', { unit: '/' }, 0, 1320078429100),
    ]);
  });
});

describe('resolution rules', () => {
  test('times below 2^28 s are relative to the arrival time; negative is the past, positive the future', () => {
    const { samples } = decode([
      { n: 'a', v: 1 },
      { n: 'a', v: 2, t: -5 },
      { n: 'a', v: 3, t: 10 },
      { bt: -60, n: 'a', v: 4, t: 0.5 },
      { n: 'a', v: 5, t: -0.0004 },
      { n: 'a', v: 6, t: 268435455 },
      { bt: 0, n: 'a', v: 7, t: 268435456 },
    ]);
    assert.deepEqual(
      samples.map((s) => s.timestampMs),
      // bt = -60 carries forward to the records after it; sub-millisecond times round to the nearest ms.
      [
        SENT,
        SENT - 5000,
        SENT + 10000,
        SENT - 59500,
        SENT - 60000,
        SENT - 60000 + 268435455000,
        268435456000,
      ],
    );
  });

  test('bt + t is compared with 2^28 after adding, as the RFC says (an absolute bt can turn relative)', () => {
    const { samples } = decode([{ bt: 2 ** 28, n: 'a', v: 1, t: -1 }]);
    assert.equal(samples[0]!.timestampMs, SENT + (2 ** 28 - 1) * 1000);
  });

  test('bv is added to v (not to vb); bn is concatenated only for naming the series', () => {
    const { samples } = decode([
      { bn: 'm/', bv: 100, n: 'a', v: 1.5 },
      { n: 'b', v: -1 },
      { n: 'c', vb: true },
      { bv: 0, n: 'd', v: 2 },
    ]);
    assert.deepEqual(
      samples.map((s) => [s.name, s.value]),
      [
        ['a', 101.5],
        ['b', 99],
        ['c', 1],
        ['d', 2],
      ],
    );
  });

  test('without bn the name is n; with bn but no n it is bn; an empty bn is still a base_name', () => {
    const { samples } = decode([
      { n: 'plain', v: 1 },
      { bn: 'dev-1', v: 2 },
      { bn: '', n: 'x', v: 3 },
    ]);
    assert.deepEqual(samples, [
      sample('plain', {}, 1, SENT),
      sample('dev-1', { base_name: 'dev-1' }, 2, SENT),
      sample('x', { base_name: '' }, 3, SENT),
    ]);
  });

  test('u overrides bu for its record only', () => {
    const { samples } = decode([
      { bu: 'V', n: 'a', v: 1 },
      { n: 'b', u: 'A', v: 2 },
      { n: 'c', v: 3 },
    ]);
    assert.deepEqual(
      samples.map((s) => s.labels.unit),
      ['V', 'A', 'V'],
    );
  });

  test('records with the same base name and unit share one labels object', () => {
    const { samples } = decode([
      { bn: 'd:', bu: 'Cel', n: 'a', v: 1 },
      { n: 'b', v: 2 },
      { n: 'c', u: 'V', v: 3 },
    ]);
    assert.equal(samples[0]!.labels, samples[1]!.labels);
    assert.notEqual(samples[1]!.labels, samples[2]!.labels);
  });

  test('a sum-only record gives bs + s; s beside a value is ignored', () => {
    const { samples } = decode([
      { bn: 'meter:', bs: 1000, n: 'energy', u: 'kWh', s: 5.5 },
      { n: 'energy', s: 6 },
      { n: 'power', u: 'W', v: 230, s: 99 },
    ]);
    assert.deepEqual(
      samples.map((s) => [s.name, s.value]),
      [
        ['energy', 1005.5],
        ['energy', 1006],
        ['power', 230],
      ],
    );
  });

  test('v and bv accept the bridge value rules (numeric strings, NaN, ±Inf, booleans)', () => {
    const { samples } = decode([
      { n: 'a', v: '1.5' },
      { n: 'b', v: 'NaN' },
      { n: 'c', v: '-Inf' },
      { bv: '10', n: 'd', v: true },
    ]);
    assert.deepEqual(
      samples.map((s) => s.value),
      [1.5, NaN, -Infinity, 11],
    );
  });

  test('bver up to 10 is accepted; unknown fields are ignored', () => {
    assert.equal(decode([{ bver: 10, n: 'a', v: 1, foo: { x: 1 }, ut: 5 }]).samples.length, 1);
    assert.equal(
      decode([
        { bver: 1, n: 'a', v: 1 },
        { bver: 1, n: 'b', v: 2 },
      ]).samples.length,
      2,
    );
  });

  test('a pack whose numbers are all strings has no numeric samples', () => {
    rejects(
      [
        { bn: 'd:', n: 'a', vs: 'x' },
        { n: 'b', vd: 'aGk' },
      ],
      '',
      /no numeric samples: all 2 SenML records/,
    );
  });
});

describe('errors', () => {
  test('a newer version or mixed versions make the pack unusable', () => {
    rejects([{ bver: 11, n: 'a', v: 1 }], '[0].bver', /version 11 is newer .*\(10\)/);
    rejects(
      [
        { bver: 5, n: 'a', v: 1 },
        { bver: 6, n: 'b', v: 1 },
      ],
      '[1].bver',
      /one version/,
    );
    rejects([{ bver: '10', n: 'a', v: 1 }], '[0].bver', /positive integer/);
    rejects([{ bver: 0, n: 'a', v: 1 }], '[0].bver', /positive integer/);
    rejects([{ bver: 2.5, n: 'a', v: 1 }], '[0].bver', /positive integer/);
  });

  test('a must-understand field (name ending in "_") is an error, wherever it is', () => {
    rejects(
      [
        { n: 'a', v: 1 },
        { n: 'b', v: 1, foo_: 1 },
      ],
      '[1].foo_',
      /must-understand/,
    );
    rejects([{ bn: 'd:', _: true, n: 'b', v: 1 }], '[0]._', /must-understand/);
    rejects([{ n: 'a', v: 1, 'x y_': 1 }], '[0]["x y_"]', /must-understand/);
  });

  test('wrong field types name the field', () => {
    rejects([{ n: 5, v: 1 }], '[0].n', /expected a string, got 5/);
    rejects([{ n: 'a', u: 1, v: 1 }], '[0].u', /expected a string/);
    rejects([{ bn: null, n: 'a', v: 1 }], '[0].bn', /got null/);
    rejects([{ bu: [], n: 'a', v: 1 }], '[0].bu', /got \[\]/);
    rejects([{ bt: '1320078429', n: 'a', v: 1 }], '[0].bt', /finite JSON number/);
    rejects([{ n: 'a', v: 1, t: null }], '[0].t', /finite JSON number/);
    assert.throws(
      () => decodeMessage({ messageId: ID, body: '[{"n":"a","v":1,"bt":-1e400}]', sentTimestampMs: SENT }),
      /field \[0\]\.bt: expected a finite JSON number, got -Infinity$/,
    );
    rejects([{ n: 'a', v: 1, ut: 'soon' }], '[0].ut', /finite JSON number/);
    rejects([{ n: 'a', s: '5' }], '[0].s', /finite JSON number/);
    rejects([{ bs: {}, n: 'a', s: 5 }], '[0].bs', /finite JSON number/);
    rejects([{ n: 'a', v: 'abc' }], '[0].v', /got "abc"/);
    rejects([{ n: 'a', v: null }], '[0].v', /got null/);
    rejects([{ bv: [1], n: 'a', v: 1 }], '[0].bv', /got \[1\]/);
    rejects([{ n: 'a', vb: 'true' }], '[0].vb', /expected a boolean/);
    rejects([{ n: 'a', vs: 5 }], '[0].vs', /expected a string/);
    rejects([{ n: 'a', vd: false }], '[0].vd', /expected a string/);
  });

  test('records must be objects with exactly one value and a name', () => {
    rejects([{ n: 'a', v: 1 }, 5], '[1]', /SenML record object, got a number/);
    rejects([{ n: 'a', v: 1 }, [1]], '[1]', /an array/);
    rejects([{ n: 'a', v: 1, vs: 'x' }], '[0]', /at most one of v, vs, vb and vd/);
    rejects([{ n: 'a', vb: true, vd: 'x' }], '[0]', /at most one/);
    rejects([{ n: 'a' }], '[0]', /needs a value/);
    rejects([{ bn: 'x:', n: 'a', t: 5 }], '[0]', /needs a value/);
    rejects([{ v: 1 }], '[0]', /needs a name/);
    rejects([{ n: '', v: 1 }], '[0]', /needs a name/);
  });

  test('a resolved time outside 1970..9999 names t, or the bt it came from', () => {
    rejects([{ n: 'a', v: 1, t: 1e13 }], '[0].t', /outside 1970 to 9999/);
    rejects([{ bt: 1e13 }, { n: 'a', v: 1 }], '[0].bt', /outside 1970 to 9999/);
    rejects([{ n: 'a', v: 1, t: -2e9 }], '[0].t', /relative to the arrival time/);
  });
});
