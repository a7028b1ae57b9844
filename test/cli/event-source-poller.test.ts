import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  startEventSourcePoller,
  type InvocationResult,
  type SqsHandler,
} from '../../cli/local/event-source-poller.js';
import { startSqsServer } from '../../cli/local/sqs-server.js';

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('the poller invokes like Lambda: record shape, partial batch responses, redelivery and maxReceiveCount to the DLQ', async () => {
  const server = await startSqsServer();
  const sqs = server.client();
  const pair = await server.createQueuePair('poller', { maxReceiveCount: 2, visibilityTimeoutSeconds: 2 });
  const events: SQSEvent[] = [];
  const results: InvocationResult[] = [];
  let remainingAtStart = -1;
  // The test's own handler: it fails every message whose body says so, and checks the Context.
  const handler: SqsHandler = async (event, context) => {
    events.push(event);
    remainingAtStart = context.getRemainingTimeInMillis();
    return {
      batchItemFailures: event.Records.filter((r) => r.body.startsWith('fail')).map((r) => ({
        itemIdentifier: r.messageId,
      })),
    };
  };
  const poller = startEventSourcePoller({
    sqs,
    queueUrl: pair.queueUrl,
    queueArn: pair.queueArn,
    region: server.region,
    handler,
    batchSize: 5,
    maximumBatchingWindowSeconds: 0.5,
    functionTimeoutSeconds: 7,
    receiveWaitSeconds: 1,
    onInvocation: (r) => results.push(r),
  });
  try {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: pair.queueUrl,
        MessageBody: 'ok-1',
        MessageAttributes: {
          device: { DataType: 'String', StringValue: 'd-1' },
          raw: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2]) },
        },
      }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: pair.queueUrl, MessageBody: 'fail-1' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: pair.queueUrl, MessageBody: 'ok-2' }));

    // fail-1 is received twice (maxReceiveCount 2), then SQS moves it to the dead-letter queue.
    const dead: string[] = [];
    await until(async () => {
      const answer = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: pair.deadLetterQueueUrl, WaitTimeSeconds: 0 }),
      );
      dead.push(...(answer.Messages ?? []).map((m) => m.Body ?? ''));
      return dead.length > 0;
    });
    assert.deepEqual(dead, ['fail-1']);

    const first = events[0]?.Records.find((r) => r.body === 'ok-1');
    assert.ok(first, 'ok-1 was delivered');
    assert.equal(first.eventSource, 'aws:sqs');
    assert.equal(first.eventSourceARN, pair.queueArn);
    assert.equal(first.awsRegion, server.region);
    assert.equal(first.attributes.ApproximateReceiveCount, '1');
    assert.match(first.attributes.SentTimestamp, /^\d{13}$/);
    assert.match(first.attributes.ApproximateFirstReceiveTimestamp, /^\d{13}$/);
    assert.deepEqual(first.messageAttributes.device, {
      stringValue: 'd-1',
      stringListValues: [],
      binaryListValues: [],
      dataType: 'String',
    });
    assert.equal(first.messageAttributes.raw?.binaryValue, Buffer.from([1, 2]).toString('base64'));
    assert.ok(remainingAtStart > 0 && remainingAtStart <= 7000);

    const deliveries = events.flatMap((e) =>
      e.Records.map((r) => `${r.body}#${r.attributes.ApproximateReceiveCount}`),
    );
    assert.ok(deliveries.includes('fail-1#1') && deliveries.includes('fail-1#2'), deliveries.join(' '));
    // Successes are deleted once, never redelivered.
    assert.equal(deliveries.filter((d) => d.startsWith('ok-1')).length, 1);
    assert.equal(deliveries.filter((d) => d.startsWith('ok-2')).length, 1);
    assert.ok(results.some((r) => r.outcome === 'partial'));
  } finally {
    await poller.stop();
    await server.stop();
  }
});

test('a handler that throws, times out or answers with an unknown id fails its whole batch', async () => {
  const server = await startSqsServer();
  const sqs = server.client();
  const pair = await server.createQueuePair('poller-errors', {
    maxReceiveCount: 10,
    visibilityTimeoutSeconds: 1,
  });
  const results: InvocationResult[] = [];
  let call = 0;
  const handler: SqsHandler = async () => {
    call += 1;
    if (call === 1) throw new Error('boom');
    if (call === 2) return new Promise(() => undefined); // never settles: runs past the 1 s timeout
    if (call === 3) return { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] };
    return { batchItemFailures: [] };
  };
  const poller = startEventSourcePoller({
    sqs,
    queueUrl: pair.queueUrl,
    queueArn: pair.queueArn,
    region: server.region,
    handler,
    functionTimeoutSeconds: 1,
    receiveWaitSeconds: 1,
    onInvocation: (r) => results.push(r),
  });
  try {
    await sqs.send(new SendMessageCommand({ QueueUrl: pair.queueUrl, MessageBody: 'only' }));
    await until(() => results.some((r) => r.outcome === 'success'));
    assert.deepEqual(
      results.map((r) => r.outcome),
      ['error', 'timeout', 'invalid-response', 'success'],
    );
    assert.deepEqual(
      results.map((r) => r.deleted),
      [0, 0, 0, 1],
    );
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: pair.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    assert.equal(attributes.Attributes?.ApproximateNumberOfMessages, '0');
    assert.equal(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible, '0');
  } finally {
    await poller.stop();
    await server.stop();
  }
});
