import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSqsServer } from '../../cli/local/sqs-server.js';

test('the in-process SQS server moves a message to its dead-letter queue after maxReceiveCount', async () => {
  const server = await startSqsServer();
  try {
    assert.match(server.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    const pair = server.createQueuePair('telemetry', { maxReceiveCount: 1, visibilityTimeoutSeconds: 1 });
    const sqs = server.client();
    await sqs.send(new SendMessageCommand({ QueueUrl: pair.queueUrl, MessageBody: '{"x":1}' }));
    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: pair.queueUrl, WaitTimeSeconds: 1 }));
    assert.equal(first.Messages?.length, 1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: pair.queueUrl, WaitTimeSeconds: 1 }));
    const dead = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: pair.deadLetterQueueUrl, WaitTimeSeconds: 1 }),
    );
    assert.equal(dead.Messages?.[0]?.Body, '{"x":1}');
  } finally {
    await server.stop();
  }
});
