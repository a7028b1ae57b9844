import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CliError } from '../../cli/exit-codes.js';
import { replay } from '../../cli/replay/replay.js';
import { pipelineDecoder } from '../../cli/replay/sample-age.js';
import { deadLetterSourceQueue } from '../../cli/replay/source-queue.js';
import { startSqsServer, type SqsServer } from '../../cli/local/sqs-server.js';
import { receiveAll, visibleCount } from '../support/queues.js';

let server: SqsServer;
let sqs: SQSClient;
let queueCounter = 0;
/** fauxqs answers at once, so the scan needs no long polls to know the queue is empty. */
const fast = { waitTimeSeconds: 0, idleReceives: 2 } as const;

before(async () => {
  server = await startSqsServer();
  sqs = server.client();
});
after(() => server.stop());

async function pair(): Promise<{ queue: string; dlq: string }> {
  queueCounter += 1;
  const created = await server.createQueuePair(`replay-${queueCounter}`, { visibilityTimeoutSeconds: 30 });
  return { queue: created.queueUrl, dlq: created.deadLetterQueueUrl };
}

function str(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}

interface Seeded {
  body: string;
  attributes: Record<string, MessageAttributeValue>;
}

/** Dead letters as the bridge writes them: own attributes plus bridge-*. */
function deadLetter(i: number, kind = 'invalid-message', reason = `message m${i}: field value: bad`): Seeded {
  return {
    body: JSON.stringify({
      name: 'temperature_celsius',
      value: i,
      timestamp: Date.now(),
      labels: { device: `d-${i}` },
    }),
    attributes: {
      device: str(`d-${i}`),
      seq: { DataType: 'Number', StringValue: String(i) },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([i % 256, 1, 2, 3]) },
      'bridge-error-kind': str(kind),
      'bridge-error': str(reason),
      'bridge-source-message-id': str(`m${i}`),
    },
  };
}

async function seed(queueUrl: string, messages: readonly Seeded[]): Promise<void> {
  for (let start = 0; start < messages.length; start += 10) {
    const answer = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.slice(start, start + 10).map((m, i) => ({
          Id: `e${i}`,
          MessageBody: m.body,
          MessageAttributes: m.attributes,
        })),
      }),
    );
    assert.equal(answer.Failed?.length ?? 0, 0);
  }
}

function bodies(messages: readonly Message[]): string[] {
  return messages.map((m) => m.Body ?? '').sort();
}

test('replay moves every message with its body and own attributes intact and the bridge-* attributes removed', async () => {
  const { queue, dlq } = await pair();
  const seeded = Array.from({ length: 25 }, (_, i) => deadLetter(i));
  await seed(dlq, seeded);
  const summary = await replay({
    ...fast,
    sqs,
    from: dlq,
    to: queue,
    decoder: pipelineDecoder,
    concurrency: 3,
  });
  assert.equal(summary.moved, 25);
  assert.equal(summary.scanned, 25);
  assert.equal(summary.sendFailed + summary.sentNotDeleted, 0);
  assert.equal(summary.tooOld, 0);
  assert.equal(await visibleCount(sqs, dlq), 0);
  const moved = await receiveAll(sqs, queue);
  assert.deepEqual(bodies(moved), bodies(seeded.map((s) => ({ Body: s.body }))));
  for (const m of moved) {
    const i = Number(m.MessageAttributes?.seq?.StringValue);
    assert.deepEqual(Object.keys(m.MessageAttributes ?? {}).sort(), ['blob', 'device', 'seq']);
    assert.equal(m.MessageAttributes?.device?.StringValue, `d-${i}`);
    assert.equal(m.MessageAttributes?.seq?.DataType, 'Number');
    assert.deepEqual([...(m.MessageAttributes?.blob?.BinaryValue ?? [])], [i % 256, 1, 2, 3]);
    assert.equal(m.Body, seeded[i]?.body);
  }
});

test('--dry-run moves nothing and leaves every message visible', async () => {
  const { queue, dlq } = await pair();
  await seed(
    dlq,
    Array.from({ length: 12 }, (_, i) => deadLetter(i)),
  );
  const summary = await replay({ ...fast, sqs, from: dlq, to: queue, dryRun: true });
  assert.equal(summary.dryRun, true);
  assert.equal(summary.matched, 12);
  assert.equal(summary.moved, 0);
  assert.equal(await visibleCount(sqs, dlq), 12);
  assert.equal(await visibleCount(sqs, queue), 0);
});

test('--limit moves at most that many and leaves the rest visible', async () => {
  const { queue, dlq } = await pair();
  await seed(
    dlq,
    Array.from({ length: 15 }, (_, i) => deadLetter(i)),
  );
  const summary = await replay({ ...fast, sqs, from: dlq, to: queue, limit: 7 });
  assert.equal(summary.moved, 7);
  assert.equal(await visibleCount(sqs, queue), 7);
  assert.equal(await visibleCount(sqs, dlq), 8);
});

test('filters by bridge-error-kind and by reason; refused messages are visible again at once', async () => {
  const { queue, dlq } = await pair();
  await seed(dlq, [
    ...Array.from({ length: 6 }, (_, i) =>
      deadLetter(i, 'rejected-by-receiver', `HTTP 400: out of order sample`),
    ),
    ...Array.from({ length: 4 }, (_, i) => deadLetter(100 + i, 'invalid-message', `field value: bad`)),
    { body: '{"redriven":"by SQS after maxReceiveCount"}', attributes: { device: str('d-x') } },
  ]);
  const byKind = await replay({
    ...fast,
    sqs,
    from: dlq,
    to: queue,
    filter: { kinds: ['rejected-by-receiver'] },
  });
  assert.equal(byKind.moved, 6);
  assert.equal(byKind.skipped, 5);
  assert.equal(await visibleCount(sqs, dlq), 5);

  const byReason = await replay({ ...fast, sqs, from: dlq, to: queue, filter: { reason: /field value/ } });
  assert.equal(byReason.moved, 4);
  assert.equal(await visibleCount(sqs, dlq), 1);

  const none = await replay({ ...fast, sqs, from: dlq, to: queue, filter: { kinds: ['none'] } });
  assert.equal(none.moved, 1);
  assert.equal(await visibleCount(sqs, dlq), 0);
  assert.equal((await receiveAll(sqs, queue)).length, 11);
});

test('entries the destination refuses stay in the dead-letter queue; the others move (real fauxqs per-entry failure)', async () => {
  const { dlq } = await pair();
  // A destination that refuses bodies over 1 KiB: SendMessageBatch answers with a partial failure.
  const small = await sqs.send(
    new CreateQueueCommand({
      QueueName: `small-${queueCounter}`,
      Attributes: { MaximumMessageSize: '1024' },
    }),
  );
  const to = small.QueueUrl as string;
  const big = (i: number): Seeded => ({
    ...deadLetter(i),
    body: JSON.stringify({ pad: 'x'.repeat(2000), i }),
  });
  await seed(dlq, [...Array.from({ length: 8 }, (_, i) => deadLetter(i)), big(50), big(51), big(52)]);
  const summary = await replay({ ...fast, sqs, from: dlq, to });
  assert.equal(summary.moved, 8);
  assert.equal(summary.sendFailed, 3);
  assert.equal(summary.failures.length, 3);
  assert.ok(summary.failures.every((f) => f.stage === 'send'));
  // Refused messages are back in the dead-letter queue at once, with their bridge-* attributes.
  const left = await receiveAll(sqs, dlq);
  assert.equal(left.length, 3);
  assert.ok(left.every((m) => m.MessageAttributes?.['bridge-error-kind'] !== undefined));
  assert.equal((await receiveAll(sqs, to)).length, 8);
});

test('a failure midway loses nothing: partial delete failures and a crash leave every message in one queue or both', async () => {
  const { queue, dlq } = await pair();
  const seeded = Array.from({ length: 40 }, (_, i) => deadLetter(i));
  await seed(dlq, seeded);
  // No SQS endpoint here can fail a delete on demand, so the client is wrapped: it drops the second entry of
  // every DeleteMessageBatch (reported as a failure) and, on the third batch, dies after SendMessageBatch
  // succeeded, as a process killed between the two calls would.
  let sendBatches = 0;
  const crash = new AbortController();
  const wrapped = {
    send: async (command: unknown, options?: unknown) => {
      if (command instanceof SendMessageBatchCommand) {
        const answer = await sqs.send(command);
        sendBatches += 1;
        if (sendBatches === 3) {
          crash.abort();
          throw new Error('simulated crash after SendMessageBatch');
        }
        return answer;
      }
      if (command instanceof DeleteMessageBatchCommand) {
        const entries = command.input.Entries ?? [];
        const [keep, ...rest] = [entries[1], ...entries.filter((_, i) => i !== 1)];
        const answer = await sqs.send(new DeleteMessageBatchCommand({ ...command.input, Entries: rest }));
        return {
          ...answer,
          Failed:
            keep === undefined
              ? []
              : [{ Id: keep.Id, SenderFault: true, Code: 'InternalError', Message: 'simulated' }],
        };
      }
      return sqs.send(command as never, options as never);
    },
  } as unknown as SQSClient;
  const summary = await replay({
    ...fast,
    sqs: wrapped,
    from: dlq,
    to: queue,
    visibilityTimeoutSeconds: 1,
    signal: crash.signal,
    attempts: 1,
  });
  assert.ok(summary.sentNotDeleted > 0, 'some deletes failed');
  assert.ok(summary.moved < 40);
  // Wait out the visibility timeout of whatever was in hand, then count: nothing may be missing.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const inDestination = bodies(await receiveAll(sqs, queue));
  const inDeadLetter = bodies(await receiveAll(sqs, dlq));
  const present = new Set([...inDestination, ...inDeadLetter]);
  for (const s of seeded) assert.ok(present.has(s.body), `lost ${s.body}`);
  // A second run finishes the job: every message ends up in the destination (some twice).
  await seed(
    dlq,
    inDeadLetter.map((body) => ({ body, attributes: {} })),
  );
  const again = await replay({ ...fast, sqs, from: dlq, to: queue });
  assert.equal(again.sendFailed + again.sentNotDeleted, 0);
  assert.equal(await visibleCount(sqs, dlq), 0);
});

test('samples older than the receiver accepts are counted and warned about before they are sent', async () => {
  const { queue, dlq } = await pair();
  const old = Date.now() - 2 * 3_600_000;
  await seed(dlq, [
    ...Array.from({ length: 3 }, (_, i) => ({
      body: JSON.stringify({ name: 'x', value: i, timestamp: old + i }),
      attributes: { 'bridge-error-kind': str('rejected-by-receiver') },
    })),
    deadLetter(9),
  ]);
  const warnings: string[] = [];
  const summary = await replay({
    ...fast,
    sqs,
    from: dlq,
    to: queue,
    decoder: pipelineDecoder,
    onWarning: (w) => warnings.push(w),
  });
  assert.equal(summary.tooOld, 3);
  assert.equal(summary.tooOldBySentTimestamp, 0);
  assert.equal(summary.moved, 4);
  assert.ok(
    warnings.some((w) => /3 of 4 messages about to be sent carry samples older than 1 h/.test(w)),
    warnings.join('\n'),
  );
});

test('without --to, the source queue is looked up; fauxqs lacks ListDeadLetterSourceQueues and says so clearly', async () => {
  const { dlq } = await pair();
  await assert.rejects(deadLetterSourceQueue(sqs, dlq), (error: unknown) => {
    assert.ok(error instanceof CliError);
    assert.match(error.message, /does not support ListDeadLetterSourceQueues.*pass --to/);
    return true;
  });
});

test('a message sent by SendMessage with no attributes at all replays with none', async () => {
  const { queue, dlq } = await pair();
  await sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: 'plain' }));
  const summary = await replay({ ...fast, sqs, from: dlq, to: queue });
  assert.equal(summary.moved, 1);
  const [m] = await receiveAll(sqs, queue);
  assert.equal(m?.Body, 'plain');
  assert.equal(m?.MessageAttributes, undefined);
});
