import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspectQueue, reasonGroup } from '../../cli/inspect/inspect.js';
import { startSqsServer } from '../../cli/local/sqs-server.js';

test('inspect summarises by kind, reason and age, and leaves the queue as it was', async () => {
  const server = await startSqsServer();
  try {
    const sqs = server.client();
    const { deadLetterQueueUrl: dlq } = await server.createQueuePair('inspect');
    const entries = Array.from({ length: 23 }, (_, i) => {
      const kind = i < 15 ? 'invalid-message' : 'rejected-by-receiver';
      const reason =
        i < 10
          ? `message id-${i}: field value: expected a number`
          : i < 15
            ? 'body: invalid JSON'
            : 'HTTP 400: out of bounds';
      return {
        Id: `e${i}`,
        MessageBody: JSON.stringify({ i, pad: 'y'.repeat(500) }),
        MessageAttributes: {
          'bridge-error-kind': { DataType: 'String', StringValue: kind },
          'bridge-error': { DataType: 'String', StringValue: reason },
          device: { DataType: 'String', StringValue: `d-${i}` },
        },
      };
    });
    entries.push({ Id: 'plain', MessageBody: '{"no":"attributes"}', MessageAttributes: {} as never });
    for (let start = 0; start < entries.length; start += 10) {
      await sqs.send(
        new SendMessageBatchCommand({ QueueUrl: dlq, Entries: entries.slice(start, start + 10) }),
      );
    }

    const summary = await inspectQueue({
      sqs,
      queueUrl: dlq,
      examples: 2,
      exampleChars: 40,
      waitTimeSeconds: 0,
    });
    assert.equal(summary.scanned, 24);
    assert.equal(summary.truncated, false);
    assert.deepEqual(summary.byKind, [
      { kind: 'invalid-message', count: 15 },
      { kind: 'rejected-by-receiver', count: 8 },
      { kind: 'none', count: 1 },
    ]);
    // The message id in front of the reason does not split a group.
    const { oldestAgeMs, ...firstGroup } = summary.byReason[0] ?? {};
    assert.deepEqual(firstGroup, {
      kind: 'invalid-message',
      reason: 'field value: expected a number',
      count: 10,
    });
    assert.ok(typeof oldestAgeMs === 'number');
    // One example per reason, most frequent first.
    assert.deepEqual(
      summary.examples.map((e) => e.reason),
      summary.byReason.slice(0, 2).map((r) => r.reason),
    );
    assert.equal(summary.ages.find((a) => a.label === '< 1 min')?.count, 24);
    assert.equal(summary.olderThanOneHour, 0);
    assert.equal(summary.examples.length, 2);
    assert.match(summary.examples[0]?.body ?? '', /… \(\d+ chars\)$/);

    // Nothing consumed, nothing hidden: every message is visible and receivable right away.
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: dlq,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    assert.equal(attributes.Attributes?.ApproximateNumberOfMessages, '24');
    assert.equal(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible, '0');
    const bodies = new Set<string>();
    for (let round = 0; round < 5; round += 1) {
      const answer = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }),
      );
      for (const m of answer.Messages ?? []) bodies.add(m.Body ?? '');
    }
    assert.equal(bodies.size, 24);
  } finally {
    await server.stop();
  }
});

test('inspect stops at --max', async () => {
  const server = await startSqsServer();
  try {
    const sqs = server.client();
    const { deadLetterQueueUrl: dlq } = await server.createQueuePair('inspect-max');
    for (let start = 0; start < 30; start += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: dlq,
          Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `e${i}`, MessageBody: `m${start + i}` })),
        }),
      );
    }
    const summary = await inspectQueue({ sqs, queueUrl: dlq, max: 12, waitTimeSeconds: 0 });
    assert.equal(summary.scanned, 12);
    assert.equal(summary.truncated, true);
  } finally {
    await server.stop();
  }
});

test('reasonGroup drops the message id the bridge puts in front', () => {
  assert.equal(reasonGroup('message abc-1: field x: bad'), 'field x: bad');
  assert.equal(reasonGroup('HTTP 400: out of order'), 'HTTP 400: out of order');
});
