import { GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RouteDecoder } from '../../functions/routes/decoder.js';
import { validateRoutes } from '../../functions/routes/validate.js';
import { LOCAL_READINGS_ROUTE } from '../../cli/commands/map.js';
import { startSqsServer } from '../../cli/local/sqs-server.js';
import { simulate } from '../../cli/simulate/simulate.js';
import { TelemetryGenerator, MESSAGE_FORMATS } from '../../cli/simulate/telemetry.js';

/** A seeded generator, so the malformed share is exact from run to run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

// The function's decoding with the local readings route: envelopes by their route, other bodies as before.
const decoder = new RouteDecoder(validateRoutes([LOCAL_READINGS_ROUTE]));

test('every well-formed simulated body decodes to the samples it claims; malformed ones are refused', () => {
  const generator = new TelemetryGenerator({ devices: 7, malformedShare: 0.2, random: seeded(42) });
  const seen = new Set<string>();
  for (let i = 0; i < 300; i += 1) {
    const m = generator.message();
    seen.add(m.format);
    const source = { messageId: `m${i}`, body: m.body, sentTimestampMs: Date.now() };
    if (m.format === 'malformed') {
      assert.throws(() => decoder.decode(source), Error, m.body);
      continue;
    }
    const decoded = decoder.decode(source);
    assert.equal(decoded.samples.length, m.samples, m.body);
    for (const s of decoded.samples) assert.ok(Number.isFinite(s.value));
    if (m.format === 'readings') {
      // The route's labels come from the topic telemetry/<site>/<device>.
      const envelope = JSON.parse(m.body) as Record<string, unknown>;
      assert.deepEqual(Object.keys(envelope).sort(), [
        'client_id',
        'payload',
        'received_at',
        'route',
        'topic',
      ]);
      assert.equal(envelope.route, LOCAL_READINGS_ROUTE.name);
      const [, site, device] = String(envelope.topic).split('/');
      assert.equal(device, m.device);
      for (const s of decoded.samples) {
        assert.equal(s.labels.site, site);
        assert.equal(s.labels.device, m.device);
      }
      assert.ok(decoded.samples.some((s) => s.name === 'door_open' && (s.value === 0 || s.value === 1)));
    }
  }
  for (const format of [...MESSAGE_FORMATS, 'malformed']) assert.ok(seen.has(format), format);
});

test('simulate sends what it says it sent', async () => {
  const server = await startSqsServer();
  try {
    const sqs = server.client();
    const { queueUrl } = await server.createQueuePair('simulate');
    const summary = await simulate({
      sqs,
      queueUrl,
      devices: 5,
      ratePerSecond: 2000,
      count: 137,
      malformedShare: 0.1,
      random: seeded(7),
    });
    assert.equal(summary.sent, 137);
    assert.equal(summary.failed, 0);
    assert.ok(summary.malformed > 0 && summary.malformed < 137);
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    assert.equal(attributes.Attributes?.ApproximateNumberOfMessages, '137');
    let malformed = 0;
    let samples = 0;
    for (;;) {
      const answer = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }),
      );
      if ((answer.Messages ?? []).length === 0) break;
      for (const m of answer.Messages ?? []) {
        try {
          samples += decoder.decode({ messageId: m.MessageId ?? '', body: m.Body ?? '', sentTimestampMs: 0 })
            .samples.length;
        } catch {
          malformed += 1;
        }
      }
    }
    assert.equal(malformed, summary.malformed);
    assert.equal(samples, summary.samples);
  } finally {
    await server.stop();
  }
});

test("docs/connecting-devices.md shows the local demo's readings route as iotprom local runs it", () => {
  const doc = readFileSync(
    fileURLToPath(new URL('../../docs/connecting-devices.md', import.meta.url)),
    'utf8',
  );
  const section = doc.slice(doc.indexOf('## Trying a route on this machine'));
  const block = /```json\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'no JSON block in the section');
  assert.deepEqual(JSON.parse(block), LOCAL_READINGS_ROUTE);
});
