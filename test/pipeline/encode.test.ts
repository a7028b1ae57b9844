// The Remote-Write 1.0 encoder, snappy block compression and protocol headers. The encoder's output is decoded
// with a decoder built from proto/ by protobufjs at run time (plus the raw bits of sample values, where the
// staleness marker lives), never with code shared with the encoder.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { uncompressSync } from 'snappy';
import { compressBlock } from '../../functions/pipeline/compress.js';
import {
  encodedSeriesSize,
  encodedSeriesSizeBound,
  encodeWriteRequest,
  encodeWriteRequestView,
  RequestEncoder,
} from '../../functions/pipeline/encode.js';
import { REMOTE_WRITE_HEADERS, RESERVED_HEADERS, USER_AGENT } from '../../functions/pipeline/headers.js';
import type { Label, SeriesSample, WriteBatch } from '../../functions/pipeline/model.js';
import { decodeWriteRequest, STALE_NAN_BITS } from '../support/strict-receiver.js';
import { writeBatchOf } from '../../functions/pipeline/write-batch.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const snappyjs = createRequire(import.meta.url)('snappyjs') as {
  uncompress(data: Uint8Array): Uint8Array;
};
const WriteRequest = protobuf
  .loadSync(join(root, 'proto/remote.proto'))
  .lookupType('prometheus.WriteRequest');
const NORMAL_NAN_BITS = 0x7ff8000000000001n;

interface TestSeries {
  labels: Label[];
  samples: Array<Pick<SeriesSample, 'timestampMs' | 'value' | 'stale'>>;
}

function batchOf(series: TestSeries[]): WriteBatch {
  return writeBatchOf(series);
}

const label = (name: string, value: string): Label => ({ name, value });

/** `series` as protobufjs encodes a WriteRequest from proto/: the reference the hand-written encoder must equal. */
function protobufjsEncoding(series: TestSeries[]): Uint8Array {
  return WriteRequest.encode(
    WriteRequest.fromObject({
      timeseries: series.map((s) => ({
        labels: s.labels,
        samples: s.samples.map((x) => ({ value: x.value, timestamp: x.timestampMs })),
      })),
    }),
  ).finish();
}

/** What a correct decoder must read back for `series`. */
function expectedAfterDecoding(series: TestSeries[]) {
  // A string's UTF-8 round trip (a lone surrogate becomes U+FFFD, as in Buffer and protobufjs).
  const utf8 = (text: string) => Buffer.from(text, 'utf8').toString('utf8');
  return series.map((s) => ({
    labels: s.labels.map((l) => ({ name: utf8(l.name), value: utf8(l.value) })),
    samples: s.samples.map((x) => ({ timestampMs: x.timestampMs, stale: x.stale })),
  }));
}

function checkRoundTrip(series: TestSeries[]): void {
  const encoded = encodeWriteRequest(batchOf(series));
  const decoded = decodeWriteRequest(encoded);
  assert.deepEqual(decoded.unknownFields, []);
  assert.deepEqual(
    decoded.series.map((s) => ({
      labels: s.labels,
      samples: s.samples.map((x) => ({ timestampMs: x.timestampMs, stale: x.stale })),
    })),
    expectedAfterDecoding(series),
  );
  series.forEach((s, i) =>
    s.samples.forEach((sample, j) => {
      const got = decoded.series[i]!.samples[j]!;
      if (sample.stale) assert.equal(got.bits, STALE_NAN_BITS);
      else if (Number.isNaN(sample.value)) assert.equal(got.bits, NORMAL_NAN_BITS);
      else assert.ok(Object.is(got.value, sample.value), `${got.value} is ${sample.value}`);
    }),
  );
  const sized = series.reduce(
    (n, s) =>
      n +
      encodedSeriesSize(
        s.labels,
        s.samples.map((x) => x.timestampMs),
      ),
    0,
  );
  assert.equal(sized, encoded.length, 'encodedSeriesSize() adds up to the encoded size');
}

describe('encodeWriteRequest', () => {
  test('writes the exact wire bytes of a stale marker (0x7ff0000000000002, little-endian)', () => {
    const encoded = encodeWriteRequest(
      batchOf([{ labels: [label('__name__', 'm')], samples: [{ timestampMs: 1, value: 0, stale: true }] }]),
    );
    assert.equal(
      Buffer.from(encoded).toString('hex'),
      '0a1c' +
        '0a0d' +
        '0a08' +
        Buffer.from('__name__').toString('hex') +
        '1201' +
        '6d' +
        '120b' +
        '09' +
        '020000000000f07f' +
        '1001',
    );
  });

  test('writes a NaN that is not stale as Prometheus’ ordinary NaN, whatever its payload', () => {
    const staleBitsAsNumber = new DataView(new BigUint64Array([STALE_NAN_BITS]).buffer).getFloat64(0, true);
    const decoded = decodeWriteRequest(
      encodeWriteRequest(
        batchOf([
          {
            labels: [label('__name__', 'm')],
            samples: [
              { timestampMs: 1, value: Number.NaN, stale: false },
              { timestampMs: 2, value: staleBitsAsNumber, stale: false },
            ],
          },
        ]),
      ),
    );
    assert.deepEqual(
      decoded.series[0]!.samples.map((s) => [s.bits, s.stale]),
      [
        [NORMAL_NAN_BITS, false],
        [NORMAL_NAN_BITS, false],
      ],
    );
  });

  test('matches protobufjs’ own encoding byte for byte when no field holds a default (zero) value', () => {
    const series: TestSeries[] = [
      {
        labels: [label('Zone', 'eu'), label('__name__', 'temperature_celsius'), label('device', 'd-17 ✓ 🌡')],
        samples: [
          { timestampMs: 1732531200000, value: 21.5, stale: false },
          { timestampMs: 1732531260000, value: -3.25e-7, stale: false },
          { timestampMs: 1732531320000, value: Number.POSITIVE_INFINITY, stale: false },
        ],
      },
      { labels: [label('__name__', 'x'.repeat(300))], samples: [{ timestampMs: 5, value: 1, stale: false }] },
    ];
    const reference = protobufjsEncoding(series);
    assert.equal(
      Buffer.from(encodeWriteRequest(batchOf(series))).toString('hex'),
      Buffer.from(reference).toString('hex'),
    );
  });

  test('property: matches protobufjs byte for byte for any timestamp and value that are not defaults', () => {
    const timestampMs = fc.oneof(
      fc.integer({ min: 2 ** 35 - 2, max: 2 ** 35 + 2 }),
      fc.integer({ min: 2 ** 42 - 2, max: 2 ** 42 + 2 }),
      fc.integer({ min: 2 ** 35, max: 2 ** 42 }),
      fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: -1 }),
    );
    const value = fc.double({ noNaN: true }).filter((v) => v !== 0);
    const series = fc.record({
      labels: fc.array(fc.record({ name: fc.string({ minLength: 1 }), value: fc.string({ minLength: 1 }) }), {
        maxLength: 4,
      }),
      samples: fc.array(fc.record({ timestampMs, value, stale: fc.constant(false) }), { maxLength: 8 }),
    });
    fc.assert(
      fc.property(fc.array(series, { maxLength: 5 }), (all) => {
        const reference = protobufjsEncoding(all);
        const encoder = new RequestEncoder();
        for (const encoded of [encodeWriteRequest(batchOf(all)), encoder.view(batchOf(all))])
          assert.equal(Buffer.from(encoded).toString('hex'), Buffer.from(reference).toString('hex'));
      }),
      { numRuns: 300 },
    );
  });

  test('a series whose last timestamp is not a 6-byte varint is written again, also after the buffer grew', () => {
    const samples = Array.from({ length: 5000 }, (_, i) => ({
      timestampMs: 1732531200000 + i,
      value: i + 0.5,
      stale: false,
    }));
    const series: TestSeries[] = [
      { labels: [label('__name__', 'a')], samples: [{ timestampMs: 1732531200000, value: 1, stale: false }] },
      {
        labels: [label('__name__', 'b')],
        samples: [...samples, { timestampMs: 2 ** 42, value: 2, stale: false }],
      },
      { labels: [label('__name__', 'c')], samples: [{ timestampMs: 7, value: 3, stale: false }, ...samples] },
    ];
    const reference = protobufjsEncoding(series);
    const hex = Buffer.from(new RequestEncoder().view(batchOf(series))).toString('hex');
    assert.equal(hex, Buffer.from(reference).toString('hex'));
  });

  test('round-trips edge values: zero, negative and huge timestamps, -0, infinities, non-ASCII and long labels', () => {
    checkRoundTrip([
      {
        labels: [label('__name__', 'edge'), label('v', 'ü€𝄞\ud800x\udfff'), label('long', 'é'.repeat(5000))],
        samples: [
          { timestampMs: -Number.MAX_SAFE_INTEGER, value: -0, stale: false },
          { timestampMs: -1, value: Number.NEGATIVE_INFINITY, stale: false },
          { timestampMs: 0, value: 0, stale: false },
          { timestampMs: 2 ** 32 - 1, value: Number.MIN_VALUE, stale: false },
          { timestampMs: 2 ** 32, value: Number.MAX_VALUE, stale: false },
          { timestampMs: 2 ** 42, value: 1, stale: true },
          { timestampMs: Number.MAX_SAFE_INTEGER, value: Number.NaN, stale: false },
        ],
      },
      { labels: [], samples: [] },
    ]);
  });

  test('each call returns a buffer of its own, also when a larger batch follows a smaller one', () => {
    const small: TestSeries = {
      labels: [label('__name__', 'a')],
      samples: [{ timestampMs: 1, value: 1, stale: false }],
    };
    const first = encodeWriteRequest(batchOf([small]));
    const copy = Buffer.from(first);
    const big: TestSeries = {
      labels: [label('__name__', 'b'), label('v', 'x'.repeat(200_000))],
      samples: [{ timestampMs: 2, value: 2, stale: false }],
    };
    const second = encodeWriteRequest(batchOf([big, big]));
    const third = encodeWriteRequest(batchOf([small]));
    assert.ok(Buffer.from(first).equals(copy));
    assert.ok(Buffer.from(third).equals(copy));
    assert.equal(decodeWriteRequest(second).series[1]!.labels[1]!.value.length, 200_000);
  });

  test('a RequestEncoder reuses its buffer: its views equal encodeWriteRequest until its next call', () => {
    const encoder = new RequestEncoder();
    const small: TestSeries = {
      labels: [label('__name__', 'a')],
      samples: [{ timestampMs: 1, value: 1, stale: false }],
    };
    const big: TestSeries = {
      labels: [label('__name__', 'b'), label('v', 'x'.repeat(100_000))],
      samples: [{ timestampMs: 2, value: 2, stale: false }],
    };
    for (const batch of [batchOf([small]), batchOf([big, big]), batchOf([small])]) {
      const expected = encodeWriteRequest(batch);
      assert.ok(Buffer.from(encoder.view(batch)).equals(Buffer.from(expected)));
      assert.ok(Buffer.from(encodeWriteRequestView(batch, encoder)).equals(Buffer.from(expected)));
      assert.ok(Buffer.from(encoder.encode(batch)).equals(Buffer.from(expected)));
    }
  });

  test('an empty batch encodes as an empty WriteRequest', () => {
    assert.equal(encodeWriteRequest(batchOf([])).length, 0);
  });

  test('refuses a timestamp that is not an integer of milliseconds', () => {
    for (const timestampMs of [1.5, Number.NaN, 2 ** 60])
      assert.throws(
        () =>
          encodeWriteRequest(
            batchOf([
              { labels: [label('__name__', 'm')], samples: [{ timestampMs, value: 1, stale: false }] },
            ]),
          ),
        RangeError,
      );
  });

  test('property: anything encoded decodes to the same series, and encodedSeriesSize() is exact', () => {
    const char = fc.oneof(
      fc.constantFrom('a', 'Z', '_', ':', '0', ' '),
      fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
      fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
    );
    const text = fc.string({ unit: char, maxLength: 40 });
    const sample = fc.record({
      timestampMs: fc.oneof(
        fc.integer({ min: 0, max: 2 ** 42 }),
        fc.maxSafeInteger(),
        fc.integer({ min: -(2 ** 40), max: 0 }),
      ),
      value: fc.double(),
      stale: fc.boolean(),
    });
    const series = fc.record({
      labels: fc.array(fc.record({ name: text, value: text }), { maxLength: 8 }),
      samples: fc.array(sample, { maxLength: 8 }),
    });
    fc.assert(
      fc.property(fc.array(series, { maxLength: 6 }), (all) => checkRoundTrip(all)),
      { numRuns: 300 },
    );
  });

  test('encodedSeriesSizeBound() is never below the exact size for timestamps up to 2^42 ms', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ name: fc.string(), value: fc.string() }), { maxLength: 10 }),
        fc.array(fc.integer({ min: 0, max: 2 ** 42 - 1 }), { maxLength: 200 }),
        (labels, timestamps) => {
          assert.ok(
            encodedSeriesSizeBound(labels, timestamps.length) >= encodedSeriesSize(labels, timestamps),
          );
        },
      ),
    );
  });
});

describe('compressBlock', () => {
  test('writes the snappy block format that snappyjs and native snappy read back', () => {
    const sizes = [0, 1, 100, 10_000, 70_000, 1_100_000];
    for (const size of sizes) {
      const data = Buffer.alloc(size);
      for (let i = 0; i < size; i++) data[i] = (i * 7919) % 251 < 64 ? i % 256 : 97;
      const compressed = compressBlock(data);
      assert.notEqual(compressed[0], 0xff, 'not the framed stream format');
      // A block starts with the uncompressed length as a varint.
      let length = 0;
      for (let i = 0, shift = 0; ; i++, shift += 7) {
        length += (compressed[i]! & 0x7f) * 2 ** shift;
        if (compressed[i]! < 0x80) break;
      }
      assert.equal(length, size);
      assert.ok(Buffer.from(snappyjs.uncompress(compressed)).equals(data), `snappyjs reads ${size} bytes`);
      assert.ok((uncompressSync(compressed) as Buffer).equals(data), `native snappy reads ${size} bytes`);
    }
  });
});

describe('remote-write headers', () => {
  test('are the exact Remote-Write 1.0 headers with the package version in User-Agent', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    assert.equal(USER_AGENT, `iot-prometheus-bridge/${pkg.version}`);
    assert.deepEqual(REMOTE_WRITE_HEADERS, {
      'content-encoding': 'snappy',
      'content-type': 'application/x-protobuf',
      'x-prometheus-remote-write-version': '0.1.0',
      'user-agent': USER_AGENT,
    });
    assert.ok(Object.isFrozen(REMOTE_WRITE_HEADERS));
  });

  test('reserve every protocol header, authorization and Prometheus’ reserved list, in lower case', () => {
    for (const name of Object.keys(REMOTE_WRITE_HEADERS)) assert.ok(RESERVED_HEADERS.has(name), name);
    for (const name of [
      'authorization',
      'host',
      'content-length',
      'x-amz-date',
      'x-amz-security-token',
      'x-amz-content-sha256',
    ])
      assert.ok(RESERVED_HEADERS.has(name), name);
    for (const name of RESERVED_HEADERS) assert.equal(name, name.toLowerCase());
  });
});
