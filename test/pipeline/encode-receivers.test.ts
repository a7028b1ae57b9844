// The encoder, compressor and headers together, against the project's two receivers: the strict one (which
// validates like Cortex/AMP) must see no violation, and the real Prometheus must give back every value exactly
// and honour the staleness marker.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import { compressBlock } from '../../functions/pipeline/compress.js';
import { encodeWriteRequest } from '../../functions/pipeline/encode.js';
import { REMOTE_WRITE_HEADERS } from '../../functions/pipeline/headers.js';
import type { Label, WriteBatch } from '../../functions/pipeline/model.js';
import { startPrometheus } from '../support/prometheus.js';
import { seriesKey, StrictReceiver } from '../support/strict-receiver.js';
import { writeBatchOf } from '../../functions/pipeline/write-batch.js';

function post(url: string, body: Uint8Array): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = { ...REMOTE_WRITE_HEADERS, 'content-length': String(body.byteLength) };
    const req = request(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const send = (url: string, batch: WriteBatch) => post(url, compressBlock(encodeWriteRequest(batch)));

// Recent timestamps: Prometheus 2.42 refuses samples more than an hour older than the newest it holds.
const t0 = Date.now() - 10 * 60_000;

const temperature: Label[] = [
  { name: 'Zone', value: 'eu-west' },
  { name: '__name__', value: 'temperature_celsius' },
  { name: 'device', value: 'd-17 «Nord» 🌡' },
];
const gone: Label[] = [
  { name: '__name__', value: 'door_open' },
  { name: 'device', value: 'd-18' },
];
const values = [
  21.5,
  0.1 + 0.2,
  -0,
  Number.MAX_VALUE,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  5e-324,
  22,
];

function sampleBatch(): WriteBatch {
  const series = [
    {
      labels: temperature,
      samples: values.map((value, i) => ({ timestampMs: t0 + i * 1000, value, stale: false, messages: [0] })),
    },
    {
      labels: gone,
      samples: [
        { timestampMs: t0, value: 1, stale: false, messages: [1] },
        { timestampMs: t0 + 1000, value: 0, stale: true, messages: [1] },
      ],
    },
  ];
  return writeBatchOf(series);
}

describe('encoded requests against the receivers', { timeout: 120_000 }, () => {
  test('the strict receiver accepts them without a violation and stores every value and the stale marker', async () => {
    const receiver = await StrictReceiver.start();
    try {
      const answer = await send(receiver.url, sampleBatch());
      assert.equal(answer.status, 204, answer.body);
      assert.deepEqual(receiver.violations, []);
      assert.equal(receiver.requests[0]!.headers['user-agent'], REMOTE_WRITE_HEADERS['user-agent']);
      const written = receiver.written();
      const stored = written.get(seriesKey(temperature))!;
      assert.deepEqual(
        stored.map((s) => s.timestampMs),
        values.map((_, i) => t0 + i * 1000),
      );
      stored.forEach((s, i) => assert.ok(Object.is(s.value, values[i]), `${s.value} is ${values[i]}`));
      assert.deepEqual(
        written.get(seriesKey(gone))!.map((s) => s.stale),
        [false, true],
      );
    } finally {
      await receiver.close();
    }
  });

  test('Prometheus 2.42 gives every value back exactly and ends the series at the stale marker', async () => {
    const prom = await startPrometheus();
    try {
      const answer = await send(prom.remoteWriteUrl, sampleBatch());
      assert.equal(answer.status, 204, answer.body);
      const raw = await prom.rawSamples('temperature_celsius', t0, t0 + 60_000);
      assert.equal(raw.length, 1);
      assert.deepEqual(raw[0]!.metric, Object.fromEntries(temperature.map((l) => [l.name, l.value])));
      assert.deepEqual(
        raw[0]!.samples.map((s) => s.timestampMs),
        values.map((_, i) => t0 + i * 1000),
      );
      // Prometheus prints -0 as "-0"; the rest must be bit-for-bit the values sent.
      raw[0]!.samples.forEach((s, i) =>
        assert.ok(Object.is(s.value, values[i]), `${s.value} is ${values[i]}`),
      );

      // Without the marker the 5-minute lookback would still return 1 a second later; with it, nothing.
      assert.deepEqual(await prom.query('door_open', t0 + 500), [
        { metric: { __name__: 'door_open', device: 'd-18' }, samples: [{ timestampMs: t0 + 500, value: 1 }] },
      ]);
      assert.deepEqual(await prom.query('door_open', t0 + 2000), []);
      assert.equal(
        (await prom.query('temperature_celsius', t0 + 60_000)).length,
        1,
        'the other series lives on',
      );
    } finally {
      await prom.stop();
    }
  });
});
