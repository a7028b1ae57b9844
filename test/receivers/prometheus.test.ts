// Tests of the Prometheus harness against the real Debian Prometheus (2.42 here). Requests are built with
// protobufjs from proto/ and native snappy, independent of the bridge's encoder.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { compressSync } from 'snappy';
import { startPrometheus } from '../support/prometheus.js';

const WriteRequest = protobuf
  .loadSync(join(dirname(fileURLToPath(import.meta.url)), '../../proto/remote.proto'))
  .lookupType('prometheus.WriteRequest');

async function remoteWrite(
  url: string,
  labels: Record<string, string>,
  samples: Array<[number, number]>,
): Promise<{ status: number; body: string }> {
  const message = WriteRequest.fromObject({
    timeseries: [
      {
        labels: Object.keys(labels)
          .sort()
          .map((name) => ({ name, value: labels[name] })),
        samples: samples.map(([timestamp, value]) => ({ timestamp, value })),
      },
    ],
  });
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-encoding': 'snappy',
      'content-type': 'application/x-protobuf',
      'x-prometheus-remote-write-version': '0.1.0',
    },
    body: compressSync(Buffer.from(WriteRequest.encode(message).finish())),
  });
  return { status: res.status, body: await res.text() };
}

// Recent timestamps: Prometheus 2.42 refuses samples more than an hour older than the newest in its head.
const base = Date.now() - 10 * 60_000;

describe('Prometheus harness', { timeout: 120_000 }, () => {
  test('starts on a free loopback port, takes remote writes and reads every value back exactly', async () => {
    const prom = await startPrometheus();
    try {
      assert.match(prom.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(prom.remoteWriteUrl, `${prom.url}/api/v1/write`);
      assert.ok(existsSync(prom.dataDir));
      const values = [
        0.1 + 0.2,
        -0,
        1e-300,
        Number.MAX_VALUE,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        Number.NaN,
        42,
      ];
      const samples = values.map((v, i): [number, number] => [base + i * 1000 + 7, v]);
      const write = await remoteWrite(
        prom.remoteWriteUrl,
        { __name__: 'harness_test', device: 'd-1', Zone: 'eu' },
        samples,
      );
      assert.equal(write.status, 204, write.body);

      const raw = await prom.rawSamples('harness_test', base, base + 60_000);
      assert.equal(raw.length, 1);
      assert.deepEqual(raw[0]!.metric, { __name__: 'harness_test', device: 'd-1', Zone: 'eu' });
      assert.deepEqual(
        raw[0]!.samples.map((s) => s.timestampMs),
        samples.map(([t]) => t),
      );
      raw[0]!.samples.forEach((s, i) =>
        assert.ok(Object.is(s.value, values[i]) || (s.value === 0 && values[i] === 0), `value ${i}`),
      );

      const range = await prom.queryRange('harness_test', base + 7, base + 2007, 1000);
      assert.deepEqual(range[0]!.samples, [
        { timestampMs: base + 7, value: values[0] },
        { timestampMs: base + 1007, value: values[1] },
        { timestampMs: base + 2007, value: values[2] },
      ]);
      const instant = await prom.query('harness_test', base + 7007);
      assert.equal(instant[0]!.samples[0]!.value, 42);
      assert.deepEqual(await prom.query('scalar(harness_test) * 2', base + 7007), [
        { metric: {}, samples: [{ timestampMs: base + 7007, value: 84 }] },
      ]);
      assert.deepEqual(await prom.series('{device="d-1"}', base, base + 60_000), [
        { __name__: 'harness_test', device: 'd-1', Zone: 'eu' },
      ]);
      await assert.rejects(prom.query('harness_test{'), /bad_data/);

      // Without an out-of-order window an older sample is refused with 400 and nothing is written.
      const older = await remoteWrite(
        prom.remoteWriteUrl,
        { __name__: 'harness_test', device: 'd-1', Zone: 'eu' },
        [[base, 1]],
      );
      assert.equal(older.status, 400);
      assert.match(older.body, /out of order/);
    } finally {
      await prom.stop();
    }
    assert.equal(existsSync(prom.dataDir), false, 'the temporary TSDB folder is removed on stop');
    await prom.stop();
  });

  test('outOfOrderTimeWindow lets older samples in', async () => {
    const prom = await startPrometheus({ outOfOrderTimeWindow: '30m' });
    try {
      const labels = { __name__: 'ooo_test' };
      assert.equal((await remoteWrite(prom.remoteWriteUrl, labels, [[base + 5000, 2]])).status, 204);
      const older = await remoteWrite(prom.remoteWriteUrl, labels, [[base + 1000, 1]]);
      assert.equal(older.status, 204, older.body);
      const raw = await prom.rawSamples('ooo_test', base, base + 10_000);
      assert.deepEqual(raw[0]!.samples, [
        { timestampMs: base + 1000, value: 1 },
        { timestampMs: base + 5000, value: 2 },
      ]);
    } finally {
      await prom.stop();
    }
  });

  test('a missing binary and a bad duration fail with a clear message', async () => {
    await assert.rejects(
      startPrometheus({ binary: '/nonexistent/prometheus' }),
      /install it: apt-get install -y prometheus/,
    );
    await assert.rejects(
      startPrometheus({ outOfOrderTimeWindow: 'half an hour' }),
      /not a Prometheus duration/,
    );
  });

  test('a Prometheus that cannot start reports its log', async () => {
    // `false` exits at once with status 1, standing in for a binary that rejects its flags.
    await assert.rejects(startPrometheus({ binary: 'false' }), /exited with code 1 before it was ready/);
  });
});
