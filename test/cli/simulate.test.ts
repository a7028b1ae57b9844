import { GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMessage } from '../../functions/pipeline/decode/index.js';
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

test('every well-formed simulated body decodes to the samples it claims; malformed ones are refused', () => {
  const generator = new TelemetryGenerator({ devices: 7, malformedShare: 0.2, random: seeded(42) });
  const seen = new Set<string>();
  for (let i = 0; i < 300; i += 1) {
    const m = generator.message();
    seen.add(m.format);
    const source = { messageId: `m${i}`, body: m.body, sentTimestampMs: Date.now() };
    if (m.format === 'malformed') {
      assert.throws(() => decodeMessage(source), Error, m.body);
      continue;
    }
    const decoded = decodeMessage(source);
    assert.equal(decoded.samples.length, m.samples, m.body);
    for (const s of decoded.samples) assert.ok(Number.isFinite(s.value));
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
          samples += decodeMessage({ messageId: m.MessageId ?? '', body: m.Body ?? '', sentTimestampMs: 0 })
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
