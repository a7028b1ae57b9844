// The pure pipeline end to end, without the Lambda: a mixed, shuffled set of messages of every format is planned,
// encoded, compressed and sent to the strict receiver (which must see no violation) and to the real Prometheus
// 2.42 (which must give back every value and timestamp exactly).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  compressBlock,
  encodeWriteRequest,
  planBatch,
  REMOTE_WRITE_HEADERS,
  DEFAULT_PIPELINE_CONFIG,
  type PipelineConfig,
  type SourceMessage,
  type WriteBatch,
} from '../../functions/pipeline/index.js';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { StrictReceiver } from '../support/strict-receiver.js';

interface Expected {
  metric: string;
  device: string;
  timestampMs: number;
  value: number;
}

// Recent timestamps (Prometheus 2.42 refuses samples older than its head block allows) and never in the future.
const NOW = Date.now() - 5 * 60_000;
const T0 = NOW - (NOW % 1000) - 60_000;

function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Messages of every format carrying known samples, plus duplicates and invalid messages. */
function mixedMessages(): { messages: SourceMessage[]; expected: Expected[]; invalidIds: string[] } {
  const random = seeded(42);
  const expected: Expected[] = [];
  const bodies: Array<{ id: string; body: string }> = [];
  const value = (): number => Math.round(random() * 100_000) / 100;
  for (let device = 0; device < 20; device++) {
    const labels = { device: `d-${device}`, site: device % 2 === 0 ? 'north' : 'south' };
    for (let step = 0; step < 6; step++) {
      const ts = T0 + step * 5000 + device;
      const id = `m-${device}-${step}`;
      const temperature = value();
      const humidity = value();
      const expect = (metric: string, v: number, device: string = labels.device): void => {
        expected.push({ metric, device, timestampMs: ts, value: v });
      };
      switch (step % 5) {
        case 0:
          bodies.push({
            id,
            body: JSON.stringify({ name: 'temperature_celsius', value: temperature, timestamp: ts, labels }),
          });
          expect('temperature_celsius', temperature);
          break;
        case 1:
          bodies.push({
            id,
            body: JSON.stringify({
              labels,
              timestamp: new Date(ts).toISOString(),
              metrics: { temperature_celsius: temperature, humidity_percent: String(humidity) },
            }),
          });
          expect('temperature_celsius', temperature);
          expect('humidity_percent', humidity);
          break;
        case 2:
          bodies.push({
            id,
            body: JSON.stringify([
              { name: 'temperature_celsius', value: temperature, timestamp: ts, labels },
              { labels, timestamp: ts, metrics: { humidity_percent: humidity, door_open: true } },
            ]),
          });
          expect('temperature_celsius', temperature);
          expect('humidity_percent', humidity);
          expect('door_open', 1);
          break;
        case 3: {
          // SenML with a base name: the metric is `n`, the label base_name holds bn; the unit becomes a label.
          const body = JSON.stringify([
            {
              bn: `urn:dev:${labels.device}:`,
              bt: ts / 1000,
              n: 'temperature_celsius',
              u: 'Cel',
              v: temperature,
            },
            { n: 'firmware', vs: '1.2.3' },
          ]);
          bodies.push({ id, body: Buffer.from(body).toString('base64') }); // the IoT rule's useBase64 form
          expect('temperature_celsius', temperature, `senml:${labels.device}`);
          break;
        }
        default:
          bodies.push({
            id,
            body: JSON.stringify({ name: 'battery_volts', value: 'NaN', timestamp: ts, labels }),
          });
          expect('battery_volts', NaN);
      }
    }
  }
  // Redelivered copies: exact duplicates of samples already in the batch.
  bodies.push({ id: 'dup-1', body: bodies[0]!.body }, { id: 'dup-2', body: bodies[7]!.body });
  const invalid = [
    { id: 'bad-json', body: '{"name": "x", "value": ' },
    { id: 'bad-value', body: JSON.stringify({ name: 'x', value: 'warm', labels: {} }) },
    { id: 'bad-label', body: JSON.stringify({ name: 'x', value: 1, labels: { __name__: 'y' } }) },
  ];
  bodies.push(...invalid);
  // Shuffle: SQS gives no order, the pipeline must restore it per series.
  for (let i = bodies.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [bodies[i], bodies[j]] = [bodies[j]!, bodies[i]!];
  }
  const messages = bodies.map(({ id, body }) => ({ messageId: id, body, sentTimestampMs: NOW }));
  return { messages, expected, invalidIds: invalid.map((m) => m.id) };
}

const CONFIG: PipelineConfig = {
  ...DEFAULT_PIPELINE_CONFIG,
  extraLabels: { bridge: 'test' },
  // Small requests, so that series are split across several and order across requests is exercised.
  request: { maxSamplesPerRequest: 37, maxBytesPerRequest: 4096 },
};

async function send(url: string, batch: WriteBatch): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: REMOTE_WRITE_HEADERS,
    body: compressBlock(encodeWriteRequest(batch)),
  });
}

function deviceOf(labels: Record<string, string>): string {
  return labels['base_name'] !== undefined
    ? `senml:${labels['base_name'].split(':')[2]}`
    : (labels['device'] ?? '');
}

describe('pipeline into real receivers', () => {
  const { messages, expected, invalidIds } = mixedMessages();
  const plan = planBatch(messages, CONFIG);

  test('plans every message: invalid ones named, the rest in requests', () => {
    assert.deepEqual(plan.invalid.map((f) => f.messageId).sort(), [...invalidIds].sort());
    for (const failure of plan.invalid)
      assert.match(failure.error.message, new RegExp(`^message ${failure.messageId}: `));
    const planned = new Set(plan.batches.flatMap((b) => b.messages));
    assert.equal(planned.size + plan.invalid.length, messages.length);
    assert.ok(plan.batches.length >= 4, `expected several requests, got ${plan.batches.length}`);
    assert.ok(
      plan.after.some((prerequisites) => prerequisites.length > 0),
      'some series continues in a later request',
    );
    assert.equal(plan.stats.samples, expected.length);
    assert.equal(plan.stats.duplicatesDropped, 3); // dup-1 repeats one sample, dup-2 a report of two
    assert.equal(plan.stats.skippedRecords, 20); // one string-valued SenML record per device
  });

  describe('strict receiver', () => {
    let receiver: StrictReceiver;
    before(async () => {
      receiver = await StrictReceiver.start();
    });
    after(() => receiver.close());

    test('accepts every request without a single violation and stores every sample', async () => {
      for (const batch of plan.batches) assert.equal((await send(receiver.url, batch)).status, 204);
      assert.deepEqual(receiver.violations, []);
      assert.equal(receiver.writtenSampleCount(), expected.length);
      const headers = receiver.requests[0]!.headers;
      assert.equal(headers['content-encoding'], 'snappy');
      assert.equal(headers['content-type'], 'application/x-protobuf');
      assert.equal(headers['x-prometheus-remote-write-version'], '0.1.0');
      assert.match(String(headers['user-agent']), /^iot-prometheus-bridge\/\d+\.\d+\.\d+/);
    });
  });

  describe('Prometheus 2.42', () => {
    let prometheus: PrometheusServer;
    before(async () => {
      prometheus = await startPrometheus();
    });
    after(() => prometheus?.stop());

    test('gives back every value and timestamp exactly', async () => {
      for (const batch of plan.batches) {
        const response = await send(prometheus.remoteWriteUrl, batch);
        assert.equal(response.status, 204, await response.text());
      }
      const stored = await prometheus.rawSamples('{bridge="test"}', T0 - 1000, NOW);
      const got = stored
        .flatMap((s) =>
          s.samples.map((sample) => ({
            metric: s.metric['__name__'] ?? '',
            device: deviceOf(s.metric),
            timestampMs: sample.timestampMs,
            value: sample.value,
          })),
        )
        .map((e) => JSON.stringify({ ...e, value: String(e.value) }))
        .sort();
      const want = expected.map((e) => JSON.stringify({ ...e, value: String(e.value) })).sort();
      assert.deepEqual(got, want);
      const senml = stored.find((s) => s.metric['base_name'] !== undefined);
      assert.equal(senml?.metric['unit'], 'Cel');
    });
  });
});
