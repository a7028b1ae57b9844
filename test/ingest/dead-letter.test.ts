// Dead-lettering against a real SQS-compatible server (fauxqs, in process).
import type { SQSRecord } from 'aws-lambda';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSqsServer, type SqsServer } from '../../cli/local/sqs-server.js';
import {
  convertAttributes,
  DeadLetterQueue,
  MAX_REASON_BYTES,
  truncateUtf8,
} from '../../functions/ingest/dead-letter.js';
import { receiveAll } from '../support/queues.js';

let server: SqsServer;
before(async () => {
  server = await startSqsServer();
});
after(async () => {
  await server.stop();
});

function record(
  messageId: string,
  body: string,
  messageAttributes: SQSRecord['messageAttributes'] = {},
): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'AIDA',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes,
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:telemetry',
    awsRegion: 'us-east-1',
  };
}

test('truncateUtf8 keeps whole characters within the byte budget', () => {
  assert.equal(truncateUtf8('short', 10), 'short');
  const cut = truncateUtf8('ä'.repeat(2000), MAX_REASON_BYTES);
  assert.ok(Buffer.byteLength(cut) <= MAX_REASON_BYTES);
  assert.ok(cut.endsWith('…'));
  assert.ok(!cut.includes('\uFFFD'));
});

test('Lambda attributes convert to the SDK shape and only 7 originals fit beside the bridge attributes', () => {
  const attributes: SQSRecord['messageAttributes'] = {
    bin: { dataType: 'Binary', binaryValue: Buffer.from([0, 1, 2, 255]).toString('base64') },
    num: { dataType: 'Number', stringValue: '42' },
    'bridge-error': { dataType: 'String', stringValue: 'old reason' },
  };
  for (let i = 0; i < 8; i++) attributes[`z${i}`] = { dataType: 'String', stringValue: String(i) };
  const { kept, dropped } = convertAttributes(attributes);
  assert.deepEqual(kept['bin'], { DataType: 'Binary', BinaryValue: Buffer.from([0, 1, 2, 255]) });
  assert.deepEqual(kept['num'], { DataType: 'Number', StringValue: '42' });
  assert.equal(kept['bridge-error'], undefined);
  assert.equal(Object.keys(kept).length, 7);
  assert.deepEqual(dropped, ['z5', 'z6', 'z7']);
});

test('dead letters arrive with body, original attributes and the bridge-* attributes, in calls of 10', async () => {
  const pair = await server.createQueuePair('dl-ok');
  const dlq = new DeadLetterQueue(server.client(), pair.deadLetterQueueUrl);
  const letters = Array.from({ length: 23 }, (_, i) => ({
    record: record(`id-${i}`, `{"bad":${i}}`, {
      trace: { dataType: 'String', stringValue: `t${i}` },
      blob: { dataType: 'Binary', binaryValue: Buffer.from([i]).toString('base64') },
    }),
    kind: i % 2 === 0 ? ('invalid-message' as const) : ('rejected-by-receiver' as const),
    reason: i === 0 ? 'x'.repeat(5000) : `reason ${i}`,
  }));
  const result = await dlq.send(letters);
  assert.equal(result.failed.length, 0);
  assert.equal(result.sent.length, 23);
  const messages = await receiveAll(server.client(), pair.deadLetterQueueUrl);
  assert.equal(messages.length, 23);
  for (const message of messages) {
    const attributes = message.MessageAttributes ?? {};
    const id = attributes['bridge-source-message-id']?.StringValue ?? '';
    const i = Number(id.slice(3));
    assert.equal(message.Body, `{"bad":${i}}`);
    assert.equal(
      attributes['bridge-error-kind']?.StringValue,
      i % 2 === 0 ? 'invalid-message' : 'rejected-by-receiver',
    );
    assert.equal(attributes['trace']?.StringValue, `t${i}`);
    assert.deepEqual(Buffer.from(attributes['blob']?.BinaryValue ?? new Uint8Array()), Buffer.from([i]));
    const reason = attributes['bridge-error']?.StringValue ?? '';
    assert.ok(Buffer.byteLength(reason) <= MAX_REASON_BYTES);
    if (i !== 0) assert.equal(reason, `reason ${i}`);
  }
});

test('a dead-letter queue that does not exist reports every message as failed', async () => {
  const dlq = new DeadLetterQueue(server.client(), `${server.endpoint}/000000000000/no-such-queue`);
  const result = await dlq.send([
    { record: record('a', '{}'), kind: 'invalid-message', reason: 'r' },
    { record: record('b', '{}'), kind: 'invalid-message', reason: 'r' },
  ]);
  assert.deepEqual(result.sent, []);
  assert.deepEqual(result.failed.map((f) => f.messageId).sort(), ['a', 'b']);
});
