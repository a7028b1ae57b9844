import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeMessage,
  parseNumericString,
  parseRfc3339,
  parseTimestampMs,
} from '../../functions/pipeline/decode/index.js';
import { InvalidMessageError } from '../../functions/pipeline/errors.js';
import type { DecodedMessage } from '../../functions/pipeline/model.js';

const SENT = 1_732_531_234_567;
const ID = '9f2c-message';

function decode(body: string, sentTimestampMs = SENT): DecodedMessage {
  return decodeMessage({ messageId: ID, body, sentTimestampMs });
}

/** Decodes `body`, expects an InvalidMessageError for `field`, and returns its text. */
function rejects(body: string, field: string, reasonPattern?: RegExp): string {
  let caught: unknown;
  try {
    decode(body);
  } catch (error) {
    caught = error;
  }
  assert.ok(
    caught instanceof InvalidMessageError,
    `expected InvalidMessageError for ${body}, got ${String(caught)}`,
  );
  assert.equal(caught.messageId, ID);
  assert.equal(caught.field, field, caught.message);
  assert.ok(caught.message.includes(ID), caught.message);
  assert.ok(caught.message.includes(field === '' ? 'body' : `field ${field}`), caught.message);
  if (reasonPattern) assert.match(caught.reason, reasonPattern);
  return caught.message;
}

describe('Sample', () => {
  test('the contract example decodes to one sample', () => {
    const body =
      '{"name": "temperature_celsius", "value": 21.5, "timestamp": 1732531200000, "labels": {"device": "d-17", "site": "north"}}';
    assert.deepEqual(decode(body), {
      samples: [
        {
          name: 'temperature_celsius',
          labels: { device: 'd-17', site: 'north' },
          value: 21.5,
          timestampMs: 1732531200000,
        },
      ],
      skippedRecords: 0,
    });
  });

  test('without timestamp and labels it takes SentTimestamp and no labels', () => {
    const [sample] = decode('{"name":"x","value":3}').samples;
    assert.deepEqual(sample, { name: 'x', labels: {}, value: 3, timestampMs: SENT });
  });

  test('names and empty label values are kept as sent (normalisation sanitises and drops them later)', () => {
    const [sample] = decode('{"name":"temp-C °","value":1,"labels":{"a b":"","zone":"Z"}}').samples;
    assert.equal(sample!.name, 'temp-C °');
    assert.deepEqual(sample!.labels, { 'a b': '', zone: 'Z' });
  });

  test('numbers and booleans in labels become their exact JSON text', () => {
    const [sample] = decode(
      '{"name":"x","value":1,"labels":{"id":17,"ratio":1.0,"big":1e21,"on":true,"off":false,"n":-0}}',
    ).samples;
    assert.deepEqual(sample!.labels, {
      id: '17',
      ratio: '1.0',
      big: '1e21',
      on: 'true',
      off: 'false',
      n: '-0',
    });
    // Ids beyond 2^53 read as the same double; their text keeps them apart.
    const ids = ['12345678901234567890', '12345678901234567891'].map(
      (id) => decode(`{"name":"x","value":1,"labels":{"id":${id}}}`).samples[0]!.labels.id,
    );
    assert.deepEqual(ids, ['12345678901234567890', '12345678901234567891']);
    const [inArray] = decode('[{"metrics":{"a":1},"labels":{"id":12345678901234567891}}]').samples;
    assert.equal(inArray!.labels.id, '12345678901234567891');
  });

  test('a "__proto__" label is an ordinary own label, not a prototype change', () => {
    const [sample] = decode('{"name":"x","value":1,"labels":{"__proto__":"evil","a":"b"}}').samples;
    assert.equal(Object.getPrototypeOf(sample!.labels), Object.prototype);
    assert.deepEqual(Object.keys(sample!.labels), ['__proto__', 'a']);
    assert.equal(Object.getOwnPropertyDescriptor(sample!.labels, '__proto__')?.value, 'evil');
  });

  test('unknown top-level fields are errors naming them (an IoT rule adding fields must put them in labels)', () => {
    rejects('{"name":"x","value":1,"topic":"dt/x","clientid":"c"}', 'topic', /unknown field.*"labels"/);
    rejects('{"metrics":{"t":1},"labels":{"device":"a"},"device":"b"}', 'device', /unknown field/);
    rejects('[{"name":"x","value":1},{"metrics":{"t":1},"extra":null}]', '[1].extra', /unknown field/);
  });

  test('errors name the field and say what was expected', () => {
    rejects('{"name":"","value":1}', 'name', /non-empty metric name/);
    rejects('{"name":5,"value":1}', 'name', /got 5$/);
    rejects('{"name":null,"value":1}', 'name', /got null$/);
    rejects('{"name":"x","value":1,"labels":null}', 'labels', /got null$/);
    rejects('{"value":1}', 'name', /got nothing/);
    rejects('{"name":"x"}', 'value', /^missing/);
    rejects('{"name":"x","value":1,"labels":[]}', 'labels', /an array/);
    rejects('{"name":"x","value":1,"labels":"a=b"}', 'labels');
    rejects('{"name":"x","value":1,"labels":{"a":null}}', 'labels.a', /got null/);
    rejects('{"name":"x","value":1,"labels":{"a":1e400}}', 'labels.a', /got Infinity/);
    rejects('{"name":"x","value":1,"labels":{"a":{"b":1}}}', 'labels.a', /got \{"b":1\}/);
    rejects('{"name":"x","value":1,"labels":{"":"v"}}', 'labels[""]', /must not be empty/);
    rejects('{"name":"x","value":1,"labels":{"odd key":[1]}}', 'labels["odd key"]');
    rejects('{"name":"x","value":1,"metrics":{"y":2}}', '', /both "metrics"/);
    rejects(
      '{"labels":{"a":"b"},"timestamp":1}',
      '',
      /expected a Sample .* or a Report .*keys \[labels, timestamp\]/,
    );
  });
});

describe('Report', () => {
  test('the contract example gives one sample per metric, sharing labels and timestamp', () => {
    const body =
      '{"labels": {"device": "d-17"}, "timestamp": 1732531200000, "metrics": {"temperature_celsius": 21.5, "humidity_percent": 40}}';
    const { samples, skippedRecords } = decode(body);
    assert.equal(skippedRecords, 0);
    assert.deepEqual(samples, [
      { name: 'temperature_celsius', labels: { device: 'd-17' }, value: 21.5, timestampMs: 1732531200000 },
      { name: 'humidity_percent', labels: { device: 'd-17' }, value: 40, timestampMs: 1732531200000 },
    ]);
    assert.equal(samples[0]!.labels, samples[1]!.labels, 'one labels object for the whole report');
  });

  test('values may be numeric strings, special strings and booleans (AWS IoT SQL V2 payloads)', () => {
    const { samples } = decode(
      '{"metrics":{"a":"14.3","b":"NaN","c":"+Inf","d":"-Inf","e":"Inf","f":true,"g":false}}',
    );
    assert.deepEqual(
      samples.map((s) => s.value),
      [14.3, NaN, Infinity, -Infinity, Infinity, 1, 0],
    );
  });

  test('errors name the metric', () => {
    rejects(
      '[{"name":"a","value":1},{"metrics":{"humidity_percent":{"a":1}}}]',
      '[1].metrics.humidity_percent',
      /got \{"a":1\}/,
    );
    rejects('{"metrics":{"temp-C":null}}', 'metrics["temp-C"]', /got null/);
    rejects('{"metrics":{"":1}}', 'metrics[""]', /metric name must not be empty/);
    rejects('{"metrics":[1,2]}', 'metrics', /an array/);
    rejects('{"metrics":5}', 'metrics', /a number 5/);
  });

  test('an empty report has no numeric samples', () => {
    rejects('{"labels":{"a":"b"},"metrics":{}}', '', /no numeric samples/);
  });
});

describe('Array', () => {
  test('mixes samples and reports, in body order, each with its own labels and timestamp', () => {
    const body = JSON.stringify([
      { name: 'a', value: 1, timestamp: 1000 },
      { labels: { d: '1' }, metrics: { b: 2, c: '3' } },
      { name: 'a', value: 1, timestamp: 1000 },
    ]);
    assert.deepEqual(decode(body).samples, [
      { name: 'a', labels: {}, value: 1, timestampMs: 1000 },
      { name: 'b', labels: { d: '1' }, value: 2, timestampMs: SENT },
      { name: 'c', labels: { d: '1' }, value: 3, timestampMs: SENT },
      { name: 'a', labels: {}, value: 1, timestampMs: 1000 },
    ]);
  });

  test('errors carry the element index', () => {
    rejects('[{"name":"a","value":1},5]', '[1]', /Sample or Report object, got a number 5/);
    rejects('[{"name":"a","value":1},null]', '[1]', /got null/);
    rejects('[{"name":"a","value":1},{"name":"b","value":"12abc"}]', '[1].value', /got "12abc"/);
    rejects('[{"name":"a","value":1},{"name":"b","value":1,"timestamp":-1}]', '[1].timestamp', /negative/);
    rejects('[{"name":"a","value":1},{"name":"b","value":1,"labels":{"x":[]}}]', '[1].labels.x');
    rejects('[{"foo":1}]', '[0]', /keys \[foo\]/);
    rejects('[[1]]', '[0]', /an array/);
  });

  test('an empty array has no numeric samples', () => {
    rejects('[]', '', /no numeric samples/);
    rejects('  [ ]  ', '', /no numeric samples/);
  });
});

describe('values', () => {
  test('strict numeric strings', () => {
    const valid: Array<[string, number]> = [
      ['0', 0],
      ['-0', -0],
      ['+1', 1],
      ['1.5', 1.5],
      ['.5', 0.5],
      ['5.', 5],
      ['-1e-3', -0.001],
      ['1E+21', 1e21],
      ['00012', 12],
      ['NaN', NaN],
      ['+Inf', Infinity],
      ['Inf', Infinity],
      ['-Inf', -Infinity],
    ];
    for (const [text, expected] of valid) assert.equal(parseNumericString(text), expected, text);
    const invalid = [
      '',
      ' ',
      ' 1',
      '1 ',
      '0x1f',
      '0b1',
      '0o7',
      'Infinity',
      '-Infinity',
      'inf',
      'nan',
      '+NaN',
      '-NaN',
      '1_000',
      '12abc',
      '1,5',
      '.',
      '-',
      '+',
      'e5',
      '1e',
      '1-2',
      '--1',
      '1e400',
      '-1e400',
      '\u0661',
      '١',
    ];
    for (const text of invalid) assert.equal(parseNumericString(text), undefined, JSON.stringify(text));
  });

  test('every rejected value names the field and quotes the value, cut to 64 characters', () => {
    const expected = /^expected a number, numeric string, "NaN", "\+Inf", "-Inf" or boolean, got /;
    for (const bad of [
      'null',
      '{}',
      '[]',
      '""',
      '"12abc"',
      '"0x10"',
      '" 1"',
      '"Infinity"',
      '1e400',
      '-1e999',
    ]) {
      rejects(`{"name":"x","value":${bad}}`, 'value', expected);
    }
    const message = rejects(`{"name":"x","value":"${'9'.repeat(70)}z"}`, 'value');
    assert.ok(message.endsWith(`got "${'9'.repeat(63)}…`), message);
  });
});

describe('timestamps', () => {
  test('integer milliseconds from 0 to the end of year 9999', () => {
    assert.equal(parseTimestampMs(0), 0);
    assert.equal(parseTimestampMs(253402300799999), 253402300799999);
    for (const bad of [
      -1,
      1.5,
      253402300800000,
      Number.MAX_SAFE_INTEGER + 2,
      Infinity,
      NaN,
      '1732531200000',
      null,
      true,
    ]) {
      assert.equal(parseTimestampMs(bad), undefined, String(bad));
    }
  });

  test('RFC 3339 with Z or an offset, fractions truncated to ms', () => {
    const cases: Array<[string, number]> = [
      ['2024-11-25T10:40:00Z', Date.UTC(2024, 10, 25, 10, 40, 0)],
      ['2024-11-25t10:40:00z', Date.UTC(2024, 10, 25, 10, 40, 0)],
      ['2024-11-25 10:40:00Z', Date.UTC(2024, 10, 25, 10, 40, 0)],
      ['2024-11-25T10:40:00.5Z', Date.UTC(2024, 10, 25, 10, 40, 0, 500)],
      ['2024-11-25T10:40:00.05Z', Date.UTC(2024, 10, 25, 10, 40, 0, 50)],
      ['2024-11-25T10:40:00.123456789Z', Date.UTC(2024, 10, 25, 10, 40, 0, 123)],
      ['2024-11-25T12:10:00+01:30', Date.UTC(2024, 10, 25, 10, 40, 0)],
      ['2024-11-25T00:00:00-05:00', Date.UTC(2024, 10, 25, 5, 0, 0)],
      ['2024-11-25T10:40:00-00:00', Date.UTC(2024, 10, 25, 10, 40, 0)],
      ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
      ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
      ['1970-01-01T00:00:00Z', 0],
      ['1970-01-01T01:00:00+01:00', 0],
      ['9999-12-31T23:59:59.999Z', 253402300799999],
      ['2016-12-31T23:59:60Z', Date.UTC(2017, 0, 1)],
    ];
    for (const [text, ms] of cases) assert.equal(parseRfc3339(text), ms, text);
  });

  test('invalid RFC 3339 strings', () => {
    const invalid = [
      '2024-11-25T10:40:00', // no offset
      '2024-11-25',
      '2024-11-25T10:40Z',
      '2024-11-25T10:40:00.Z',
      '2024-11-25T10:40:00+0100',
      '2024-11-25T10:40:00+01',
      '2024-11-25T10:40:00+24:00',
      '2024-11-25T10:40:00Zjunk',
      ' 2024-11-25T10:40:00Z',
      '2024-13-01T00:00:00Z',
      '2024-00-01T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '1900-02-29T00:00:00Z',
      '2024-04-31T00:00:00Z',
      '2024-11-25T24:00:00Z',
      '2024-11-25T10:60:00Z',
      '2024-11-25T10:40:61Z',
      '1969-12-31T23:59:59.999Z',
      '1970-01-01T00:30:00+01:00',
      '9999-12-31T23:59:59-00:01',
      '+2024-11-25T10:40:00Z',
      '２０２４-11-25T10:40:00Z',
      'Mon, 25 Nov 2024 10:40:00 GMT',
    ];
    for (const text of invalid) assert.equal(parseRfc3339(text), undefined, text);
  });

  test('errors say what is wrong with the timestamp', () => {
    rejects('{"name":"x","value":1,"timestamp":1.5}', 'timestamp', /fractional/);
    rejects('{"name":"x","value":1,"timestamp":-5}', 'timestamp', /negative/);
    rejects('{"name":"x","value":1,"timestamp":253402300800000}', 'timestamp', /year 9999/);
    rejects('{"name":"x","value":1,"timestamp":1e400}', 'timestamp', /float64/);
    rejects('{"name":"x","value":1,"timestamp":"2024-11-25T10:40:00"}', 'timestamp', /zone offset/);
    rejects('{"name":"x","value":1,"timestamp":"2024-11-25"}', 'timestamp', /zone offset/);
    rejects('{"name":"x","value":1,"timestamp":"2023-02-29T00:00:00Z"}', 'timestamp', /not a valid date/);
    rejects('{"name":"x","value":1,"timestamp":"yesterday"}', 'timestamp', /got "yesterday"/);
    rejects('{"name":"x","value":1,"timestamp":null}', 'timestamp', /got null/);
    rejects('{"metrics":{"a":1},"timestamp":"1732531200000"}', 'timestamp', /RFC 3339/);
  });

  test('a valid RFC 3339 timestamp applies to every sample of a report', () => {
    const { samples } = decode('{"timestamp":"2024-11-25T10:40:00.250+00:00","metrics":{"a":1,"b":2}}');
    assert.deepEqual(
      samples.map((s) => s.timestampMs),
      [Date.UTC(2024, 10, 25, 10, 40, 0, 250), Date.UTC(2024, 10, 25, 10, 40, 0, 250)],
    );
  });
});

describe('body', () => {
  const report = '{"labels":{"device":"d-17"},"metrics":{"t":21.5}}';
  const expected = [{ name: 't', labels: { device: 'd-17' }, value: 21.5, timestampMs: SENT }];

  test('base64 of UTF-8 JSON (IoT rule SQS action with useBase64)', () => {
    assert.deepEqual(decode(Buffer.from(report).toString('base64')).samples, expected);
    const unicode = '{"name":"température","value":1,"labels":{"site":"Zürich ☃"}}';
    const [sample] = decode(Buffer.from(unicode).toString('base64')).samples;
    assert.equal(sample!.name, 'température');
    assert.equal(sample!.labels.site, 'Zürich ☃');
  });

  test('base64 with surrounding blanks, without padding, URL-safe alphabet, or of BOM-prefixed JSON', () => {
    const padded = Buffer.from(report + ' ').toString('base64');
    assert.ok(padded.endsWith('='));
    assert.deepEqual(decode(`\n ${padded}\r\n`).samples, expected);
    assert.deepEqual(decode(padded.replace(/=+$/, '')).samples, expected);
    const urlSafe = Buffer.from('{"name":"x","value":1,"labels":{"a":"??>>"}}').toString('base64url');
    assert.ok(/[-_]/.test(urlSafe), urlSafe);
    assert.equal(decode(urlSafe).samples.length, 1);
    assert.deepEqual(decode(Buffer.from('\ufeff' + report).toString('base64')).samples, expected);
  });

  test('JSON with leading blanks or a byte-order mark', () => {
    assert.deepEqual(decode(` \t\r\n${report}`).samples, expected);
    assert.deepEqual(decode(`\ufeff${report}`).samples, expected);
  });

  test('invalid bodies give clear errors', () => {
    rejects('', '', /empty body/);
    rejects(' \n ', '', /empty body/);
    rejects('{"name":"x",', '', /^invalid JSON: /);
    rejects('{"name":"x","value":1}}', '', /^invalid JSON: /);
    rejects('42', '', /expected a JSON object or array .*got 42/);
    rejects('"hello"', '', /got "hello"/);
    rejects('null', '', /got null/);
    rejects('true', '', /got true/);
    rejects('name=x value=1', '', /neither JSON .* nor base64/);
    rejects('abc$', '', /neither JSON .* nor base64/);
    rejects('a', '', /neither JSON .* nor base64/);
    rejects('ab=c', '', /neither JSON .* nor base64/);
    rejects('abc==', '', /neither JSON .* nor base64/);
    rejects('====', '', /neither JSON .* nor base64/);
    rejects(Buffer.from([0xff, 0xfe, 0x7b, 0x7d]).toString('base64'), '', /not decode to UTF-8/);
    rejects(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]).toString('base64'), '', /not decode to UTF-8/);
    rejects(
      Buffer.from('name=x').toString('base64'),
      '',
      /base64 of text that is not a JSON object or array/,
    );
    rejects(Buffer.from('{"name":').toString('base64'), '', /^invalid JSON inside base64: /);
    rejects(Buffer.from('[]').toString('base64'), '', /no numeric samples/);
  });

  test('only the base64 alphabets are read as base64, whatever other code unit appears', () => {
    const payload = Buffer.from('{"name":"x","value":1}').toString('base64');
    const alphabet = /^[A-Za-z0-9+/_-]$/;
    // Every code unit up to U+02FF, and high code units whose low byte is a base64 character (Node's own decoder
    // reads U+012B as "+").
    const codes: number[] = [];
    for (let c = 0; c < 0x300; c++) codes.push(c);
    for (let low = 0; low < 0x100; low++) {
      if (alphabet.test(String.fromCharCode(low)))
        for (const high of [0x01, 0x20, 0xd8, 0xdc, 0xff]) codes.push(high * 0x100 + low);
    }
    for (const c of codes) {
      const ch = String.fromCharCode(c);
      if ('{[ \t\n\r\ufeff'.includes(ch)) continue;
      let reason = 'decoded';
      try {
        decode(ch.repeat(4) + payload);
      } catch (error) {
        assert.ok(error instanceof InvalidMessageError);
        reason = error.reason;
      }
      const readAsBase64 = !/^neither JSON/.test(reason);
      assert.equal(readAsBase64, alphabet.test(ch), `U+${c.toString(16)}: ${reason}`);
    }
  });

  test('lone surrogates (valid JSON escapes, but not UTF-8) in names and labels are errors; pairs are fine', () => {
    rejects(String.raw`{"name":"x\ud800","value":1}`, 'name', /lone UTF-16 surrogate/);
    rejects(
      String.raw`{"metrics":{"ok":1,"a\udc00":1}}`,
      String.raw`metrics["a\udc00"]`,
      /lone UTF-16 surrogate/,
    );
    rejects(String.raw`{"name":"x","value":1,"labels":{"d":"\uD83D"}}`, 'labels.d', /lone UTF-16 surrogate/);
    rejects(String.raw`[{"bn":"dev\ud800:","n":"t","v":1}]`, '[0].bn', /lone UTF-16 surrogate/);
    rejects('{"name":"raw\ud800","value":1}', 'name', /lone UTF-16 surrogate/);
    rejects(
      Buffer.from(String.raw`{"name":"x\ud800","value":1}`).toString('base64'),
      'name',
      /lone UTF-16 surrogate/,
    );
    // A field nothing reads (SenML ignores unknown fields) may hold one.
    const [sample] = decode(String.raw`[{"n":"smile\ud83d\ude00","v":1,"x":"\ud800 ignored"}]`).samples;
    assert.equal(sample!.name, 'smile😀');
  });

  test('deeply nested JSON gives an InvalidMessageError, never a stack overflow', () => {
    // 30,000 levels overflow a recursive walk (and JSON.stringify) on Node's default stack.
    const deep = '['.repeat(30_000) + ']'.repeat(30_000);
    rejects(`{"x":${deep},"name":"a\\ud800","value":1}`, 'x', /unknown field/);
    rejects(`[{"x":${deep},"n":"a\\ud800","v":1}]`, '[0].n', /lone UTF-16 surrogate/);
    rejects(`{"name":"x","value":${deep}}`, 'value', /got \[…\]$/);
    rejects(`{"metrics":{"a":${deep}}}`, 'metrics.a');
    rejects(`[{"n":"x","v":${deep}}]`, '[0].v');
    rejects(`{"name":"x","value":1,"labels":{"a":${deep}}}`, 'labels.a');
    rejects(`[${deep}]`, '[0]');
  });

  test('every error message carries the message id', () => {
    const message = rejects('{"name":"x","value":"12abc"}', 'value');
    assert.equal(
      message,
      `message ${ID}: field value: expected a number, numeric string, "NaN", "+Inf", "-Inf" or boolean, got "12abc"`,
    );
  });
});
