import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSqsServer } from '../../cli/local/sqs-server.js';
import { receiveBatch } from '../../cli/sqs/messages.js';

test('receiveBatch: a long poll cut short by the signal answers undefined; other errors are thrown', async () => {
  const server = await startSqsServer();
  try {
    const sqs = server.client();
    const { queueUrl } = await server.createQueuePair('receive-abort');
    const options = { max: 10, visibilityTimeoutSeconds: 5, waitTimeSeconds: 20 };
    const controller = new AbortController();
    const receiving = receiveBatch(sqs, queueUrl, options, controller.signal);
    setTimeout(() => controller.abort(), 200);
    assert.equal(await receiving, undefined);
    assert.deepEqual(await receiveBatch(sqs, queueUrl, { ...options, waitTimeSeconds: 0 }), []);
    await assert.rejects(
      receiveBatch(
        sqs,
        `${queueUrl}-missing`,
        { ...options, waitTimeSeconds: 0 },
        new AbortController().signal,
      ),
      (error: Error) => /QueueDoesNotExist|NonExistentQueue/.test(error.name),
    );
  } finally {
    await server.stop();
  }
});
