// No silent loss on input, through the built bundle (run `npm run build` first): a field the bridge does not
// know, numeric ids beyond 2^53, and a timestamp outside the window each end in the right place, never as a
// quietly merged or dropped sample. Dead letters go to a real SQS-compatible queue (fauxqs in process).
import type { Message } from '@aws-sdk/client-sqs';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { receiveAll } from '../support/queues.js';
import { StrictReceiver } from '../support/strict-receiver.js';
import { lambdaContext, loadBundle, sqsEvent, sqsRecord, sqsServerForFile } from './harness.js';

const sqsServer = sqsServerForFile();
let queueNumber = 0;

/** A fresh receiver and dead-letter queue, the bundle configured for them, and what each received. */
async function run(
  bodies: readonly string[],
): Promise<{ dead: Message[]; receiver: StrictReceiver; ids: string[] }> {
  queueNumber += 1;
  const dlq = (await sqsServer().createQueuePair(`input-errors-${queueNumber}`)).deadLetterQueueUrl;
  const receiver = await StrictReceiver.start();
  try {
    const handler = await loadBundle({ REMOTE_WRITE_URL: receiver.url, DEAD_LETTER_QUEUE_URL: dlq });
    const records = bodies.map((body) => sqsRecord(body));
    const response = await handler(sqsEvent(records), lambdaContext());
    assert.deepEqual(response, { batchItemFailures: [] });
    return {
      dead: await receiveAll(sqsServer().client(), dlq),
      receiver,
      ids: records.map((r) => r.messageId),
    };
  } finally {
    await receiver.close();
  }
}

function attribute(message: Message, name: string): string | undefined {
  return message.MessageAttributes?.[name]?.StringValue;
}

test('a field added by the IoT rule at the top level (SELECT *, topic(2) AS device) is an error naming it', async () => {
  const ts = Date.now() - 60_000;
  // Both devices' payloads carry the same labels; only the added top-level field tells them apart.
  const bodies = ['d-1', 'd-2'].map(
    (device) =>
      `{"name":"temperature","value":21.5,"timestamp":${ts},"labels":{"site":"north"},"device":"${device}"}`,
  );
  const { dead, receiver, ids } = await run([...bodies, `{"metrics":{"t":1},"timestamp":${ts},"topic":"x"}`]);
  assert.equal(receiver.writtenSampleCount(), 0, 'nothing merged into one series');
  assert.deepEqual(dead.map((m) => attribute(m, 'bridge-source-message-id')).sort(), [...ids].sort());
  for (const message of dead) {
    assert.equal(attribute(message, 'bridge-error-kind'), 'invalid-message');
    assert.match(
      attribute(message, 'bridge-error') ?? '',
      /field (device|topic): unknown field .*inside "labels"/,
    );
  }
});

test('numeric ids beyond 2^53 keep their exact text: two devices, two series', async () => {
  const ts = Date.now() - 60_000;
  const bodies = ['12345678901234567890', '12345678901234567891'].map(
    (id, i) => `{"name":"temperature","value":${i + 1},"timestamp":${ts},"labels":{"id":${id}}}`,
  );
  const { dead, receiver } = await run(bodies);
  assert.deepEqual(dead, []);
  const written = receiver.written();
  assert.deepEqual([...written.keys()].sort(), [
    '__name__="temperature",id="12345678901234567890"',
    '__name__="temperature",id="12345678901234567891"',
  ]);
  assert.equal(receiver.writtenSampleCount(), 2);
});

test('a timestamp in seconds is outside the window: its message is invalid and says so, the others are written', async () => {
  const now = Date.now();
  const seconds = Math.floor(now / 1000);
  const good = `{"name":"temperature","value":1,"timestamp":${now - 60_000},"labels":{"device":"good"}}`;
  const inSeconds = `{"name":"temperature","value":2,"timestamp":${seconds},"labels":{"device":"secs"}}`;
  const tooOld = `{"metrics":{"t":3},"timestamp":${now - 2 * 3_600_000},"labels":{"device":"old"}}`;
  const { dead, receiver } = await run([good, inSeconds, tooOld]);
  assert.deepEqual([...receiver.written().keys()], ['__name__="temperature",device="good"']);
  const reasons = dead.map((m) => attribute(m, 'bridge-error') ?? '').sort();
  assert.equal(dead.length, 2);
  assert.match(
    reasons[0]!,
    /field timestamp: timestamp 1970-.* before the message's arrival .*reads as seconds since the epoch/,
  );
  assert.match(
    reasons[1]!,
    /field timestamp: timestamp .* is 2h[0-9.]*s? before the message's arrival .*1h older \(MAX_SAMPLE_AGE\)/,
  );
  assert.doesNotMatch(reasons[1]!, /reads as/);
});
