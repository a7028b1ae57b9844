// End to end into the real Prometheus 2.42: shuffled SQS messages of every format through the built bundle,
// exact values read back with PromQL.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { lambdaContext, loadBundle, shuffle, sqsEvent, sqsRecord } from './harness.js';

let prometheus: PrometheusServer;
before(async () => {
  prometheus = await startPrometheus();
});
after(async () => {
  await prometheus?.stop();
});

test('shuffled messages in, exact values out through PromQL', { timeout: 120_000 }, async () => {
  const handler = await loadBundle({
    REMOTE_WRITE_URL: prometheus.remoteWriteUrl,
    EXTRA_LABELS: '{"site":"e2e"}',
    REMOTE_WRITE_MAX_SAMPLES_PER_REQUEST: '25',
  });
  // Whole seconds within the last few minutes, never in the future.
  const base = Math.floor((Date.now() - 4 * 60_000) / 1000) * 1000;
  const expected = new Map<string, Array<[number, number]>>();
  const records = [];
  for (let d = 0; d < 8; d++) {
    const series: Array<[number, number]> = [];
    for (let i = 0; i < 20; i++) {
      const t = base + i * 5000;
      const value = Number((d * 100 + i * 0.125 - 7.5).toFixed(3));
      series.push([t, value]);
      records.push(
        sqsRecord(
          JSON.stringify({
            name: 'e2e_temperature_celsius',
            value,
            timestamp: t,
            labels: { device: `dev-${d}` },
          }),
        ),
      );
    }
    expected.set(`dev-${d}`, series);
  }
  // A report (two metrics per message) and an ISO timestamp, base64-encoded as the IoT rule's useBase64 sends it.
  const reportAt = base + 60_000;
  records.push(
    sqsRecord(
      Buffer.from(
        JSON.stringify({
          labels: { device: 'rep-1' },
          timestamp: new Date(reportAt).toISOString(),
          metrics: { e2e_humidity_percent: 41.5, e2e_battery_volts: 3.3 },
        }),
      ).toString('base64'),
    ),
  );
  const response = await handler(sqsEvent(shuffle(records, 11)), lambdaContext());
  assert.deepEqual(response, { batchItemFailures: [] });

  const result = await prometheus.rawSamples('e2e_temperature_celsius{site="e2e"}', base - 1, Date.now());
  assert.equal(result.length, 8);
  for (const series of result) {
    const device = series.metric['device'] ?? '';
    assert.deepEqual(
      series.samples.map((s) => [s.timestampMs, s.value]),
      expected.get(device),
      `device ${device}`,
    );
  }
  const humidity = await prometheus.query('e2e_humidity_percent{device="rep-1",site="e2e"}', reportAt);
  assert.equal(humidity[0]?.samples[0]?.value, 41.5);
  const sum = await prometheus.query('sum(e2e_temperature_celsius{site="e2e"})', base + 19 * 5000);
  const want = [...expected.values()].reduce((acc, s) => acc + (s[19]?.[1] ?? 0), 0);
  assert.ok(Math.abs((sum[0]?.samples[0]?.value ?? NaN) - want) < 1e-9);
});
