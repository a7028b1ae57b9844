// Every replay refusal, through the real bin against fauxqs: the exit code and a one-line message, and
// afterwards nothing moved and every message still carries its bridge-* reasons.
import {
  CreateQueueCommand,
  SendMessageBatchCommand,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSqsServer, type SqsServer } from '../../cli/local/sqs-server.js';
import { receiveAll, visibleCount } from '../support/queues.js';
import { cleanEnvironment, iotprom, isOneLine } from './support/iotprom.js';

let server: SqsServer;
let sqs: SQSClient;
let env: NodeJS.ProcessEnv;
let counter = 0;
const SEEDED = 4;

before(async () => {
  server = await startSqsServer();
  sqs = server.client();
  // No AWS_REGION: the region comes from the queue URLs; no credentials: the loopback endpoint needs none.
  env = cleanEnvironment({ AWS_ENDPOINT_URL_SQS: server.endpoint });
});
after(() => server.stop());

function str(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}

interface Queues {
  readonly queue: string;
  readonly dlq: string;
  /** Another source queue, whose dead-letter queue is not `dlq`. */
  readonly other: string;
  /** A queue with no redrive policy. */
  readonly plain: string;
}

async function queues(): Promise<Queues> {
  counter += 1;
  const pair = await server.createQueuePair(`safety-${counter}`);
  const otherPair = await server.createQueuePair(`safety-other-${counter}`);
  const plain = await sqs.send(new CreateQueueCommand({ QueueName: `safety-plain-${counter}` }));
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: pair.deadLetterQueueUrl,
      Entries: Array.from({ length: SEEDED }, (_, i) => ({
        Id: `e${i}`,
        MessageBody: JSON.stringify({ name: 'x', value: i }),
        MessageAttributes: {
          'bridge-error-kind': str('invalid-message'),
          'bridge-error': str(`message m${i}: field value: bad`),
          'bridge-source-message-id': str(`m${i}`),
        },
      })),
    }),
  );
  return {
    queue: pair.queueUrl,
    dlq: pair.deadLetterQueueUrl,
    other: otherPair.queueUrl,
    plain: plain.QueueUrl as string,
  };
}

/** Nothing left the dead-letter queue, nothing reached `destinations`, and every reason is intact. */
async function assertNothingMoved(q: Queues, destinations: readonly string[]): Promise<void> {
  for (const url of destinations) assert.equal(await visibleCount(sqs, url), 0, `${url} received messages`);
  const parked = await receiveAll(sqs, q.dlq);
  assert.equal(parked.length, SEEDED);
  for (const m of parked) {
    assert.equal(m.MessageAttributes?.['bridge-error-kind']?.StringValue, 'invalid-message');
    assert.match(m.MessageAttributes?.['bridge-error']?.StringValue ?? '', /field value: bad/);
  }
}

test('--from equal to --to is refused (exit 2), also with --dry-run and --force', async () => {
  const q = await queues();
  for (const extra of [[], ['--dry-run'], ['--force']]) {
    const run = await iotprom(['replay', '--from', q.dlq, '--to', `${q.dlq}/`, ...extra], env);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--from and --to name the same queue/);
    assert.ok(isOneLine(run.stderr), run.stderr);
  }
  await assertNothingMoved(q, []);
});

test('a --to or --from queue that does not exist is refused before anything moves (exit 3), also with --dry-run', async () => {
  const q = await queues();
  const missing = q.queue.replace(/safety-\d+$/, 'no-such-queue');
  for (const extra of [[], ['--dry-run']]) {
    const to = await iotprom(['replay', '--from', q.dlq, '--to', missing, ...extra], env);
    assert.equal(to.code, 3, to.stderr);
    assert.match(to.stderr, /the --to queue .*no-such-queue does not exist/);
    assert.ok(isOneLine(to.stderr), to.stderr);
    const from = await iotprom(['replay', '--from', missing, '--to', q.queue, ...extra], env);
    assert.equal(from.code, 3, from.stderr);
    assert.match(from.stderr, /the --from queue .*does not exist/);
  }
  await assertNothingMoved(q, [q.queue]);
});

test('a --to whose redrive policy does not name --from is refused (exit 6) unless --force', async () => {
  const q = await queues();
  for (const to of [q.other, q.plain]) {
    for (const extra of [[], ['--dry-run']]) {
      const run = await iotprom(['replay', '--from', q.dlq, '--to', to, ...extra], env);
      assert.equal(run.code, 6, run.stderr);
      assert.match(
        run.stderr,
        /refusing to replay: the --to queue (uses .* as its|has no) dead-letter queue/,
      );
      assert.match(run.stderr, /--force/);
      assert.ok(isOneLine(run.stderr), run.stderr);
    }
  }
  await assertNothingMoved(q, [q.other, q.plain]);
  // --force overrides: the operator has said where the messages belong.
  const q2 = await queues();
  const forced = await iotprom(
    ['--json', 'replay', '--from', q2.dlq, '--to', q2.other, '--force', '--wait', '0'],
    env,
  );
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(JSON.parse(forced.stdout.toString('utf8')).moved, SEEDED);
});

test('an unknown --kind is a usage error naming the kinds (exit 2); the known ones are accepted', async () => {
  const q = await queues();
  const run = await iotprom(
    ['replay', '--from', q.dlq, '--to', q.queue, '--kind', 'invalid', '--dry-run'],
    env,
  );
  assert.equal(run.code, 2, run.stderr);
  assert.match(
    run.stderr,
    /unknown kind "invalid"; the kinds are invalid-message, rejected-by-receiver, failed-after-retries, none/,
  );
  await assertNothingMoved(q, [q.queue]);
  const q2 = await queues();
  const dry = await iotprom(
    [
      '--json',
      'replay',
      '--from',
      q2.dlq,
      '--to',
      q2.queue,
      '--dry-run',
      '--wait',
      '0',
      '--kind',
      'failed-after-retries,invalid-message',
    ],
    env,
  );
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(JSON.parse(dry.stdout.toString('utf8')).matched, SEEDED);
  await assertNothingMoved(q2, [q2.queue]);
});

test('the real replay moves to the source queue, region taken from the URL, no Node notice', async () => {
  const q = await queues();
  const run = await iotprom(['replay', '--from', q.dlq, '--to', q.queue, '--wait', '0'], env);
  assert.equal(run.code, 0, run.stderr);
  assert.match(
    run.stdout.toString('utf8'),
    new RegExp(`^replayed ${SEEDED} of ${SEEDED} matching messages`, 'm'),
  );
  assert.doesNotMatch(run.stderr, /NodeVersionSupportWarning|upgrade to node/i);
  assert.equal(await visibleCount(sqs, q.queue), SEEDED);
});
