// The built Lambda bundle against the strict receiver, with fault injection, and a real SQS-compatible
// dead-letter queue (fauxqs in process). Run `npm run build` first.
import type { SQSBatchResponse } from 'aws-lambda';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { seriesKey, StrictReceiver } from '../support/strict-receiver.js';
import {
  failedIds,
  lambdaContext,
  loadBundle,
  sampleBody,
  shuffle,
  sqsEvent,
  sqsRecord,
  sqsServerForFile,
} from './harness.js';
import { receiveAll } from '../support/queues.js';

const sqsServer = sqsServerForFile();
let queueNumber = 0;

async function newDeadLetterQueue(): Promise<string> {
  queueNumber += 1;
  return (await sqsServer().createQueuePair(`handler-${queueNumber}`)).deadLetterQueueUrl;
}

interface Fixture {
  readonly records: ReturnType<typeof sqsRecord>[];
  /** Expected store content by series key. */
  readonly expected: Map<string, Array<{ timestampMs: number; value: number }>>;
}

/** `devices` × `perDevice` sample messages, timestamps in the last minutes, shuffled. */
function fixture(devices: number, perDevice: number, prefix: string, seed = 7): Fixture {
  const base = Date.now() - 5 * 60_000;
  const records = [];
  const expected = new Map<string, Array<{ timestampMs: number; value: number }>>();
  for (let d = 0; d < devices; d++) {
    const device = `${prefix}-${d}`;
    const samples = [];
    for (let i = 0; i < perDevice; i++) {
      const timestampMs = base + i * 1000;
      const value = d * 1000 + i + 0.25;
      samples.push({ timestampMs, value });
      records.push(sqsRecord(sampleBody(device, value, timestampMs)));
    }
    expected.set(
      seriesKey([
        { name: '__name__', value: 'temperature_celsius' },
        { name: 'device', value: device },
      ]),
      samples,
    );
  }
  return { records: shuffle(records, seed), expected };
}

function assertStored(receiver: StrictReceiver, expected: Fixture['expected']): void {
  const written = receiver.written();
  for (const [key, samples] of expected) {
    assert.deepEqual(
      written.get(key)?.map(({ timestampMs, value }) => ({ timestampMs, value })),
      samples,
      `series ${key}`,
    );
  }
  assert.deepEqual(receiver.violations, []);
}

async function withReceiver<T>(
  options: Parameters<typeof StrictReceiver.start>[0],
  body: (receiver: StrictReceiver) => Promise<T>,
): Promise<T> {
  const receiver = await StrictReceiver.start(options);
  try {
    return await body(receiver);
  } finally {
    await receiver.close();
  }
}

function gaps(receiver: StrictReceiver): number[] {
  return receiver.requests.slice(1).map((request, i) => request.at - (receiver.requests[i]?.at ?? 0));
}

test('a shuffled batch is written in full, in order, with no violations', async () => {
  await withReceiver({}, async (receiver) => {
    const handler = await loadBundle({
      REMOTE_WRITE_URL: receiver.url,
      REMOTE_WRITE_MAX_SAMPLES_PER_REQUEST: '50',
    });
    const data = fixture(20, 15, 'happy');
    const response = await handler(sqsEvent(data.records), lambdaContext());
    assert.deepEqual(response, { batchItemFailures: [] });
    assertStored(receiver, data.expected);
    assert.equal(receiver.writtenSampleCount(), 300);
    assert.ok(receiver.requests.length >= 6, `${receiver.requests.length} requests`);
  });
});

test('a run of 5xx then success: nothing lost, nothing doubled, growing gaps between attempts', async () => {
  await withReceiver({}, async (receiver) => {
    const handler = await loadBundle({
      REMOTE_WRITE_URL: receiver.url,
      RETRY_BASE_DELAY_MS: '100',
      RETRY_MAX_DELAY_MS: '10000',
    });
    receiver.enqueueFaults(
      { kind: 'status', status: 503, body: 'unavailable' },
      { kind: 'status', status: 500, body: 'internal' },
      { kind: 'status', status: 502 },
      { kind: 'status', status: 504 },
    );
    const data = fixture(5, 10, 'flaky');
    const response = await handler(sqsEvent(data.records), lambdaContext());
    assert.deepEqual(response, { batchItemFailures: [] });
    assertStored(receiver, data.expected);
    assert.equal(receiver.writtenSampleCount(), 50);
    assert.deepEqual(
      receiver.requests.map((r) => r.status),
      [503, 500, 502, 504, 204],
    );
    // Equal jitter: the wait before retry n is at least half of 100 ms × 2^n.
    const between = gaps(receiver);
    between.forEach((gap, n) => assert.ok(gap >= 50 * 2 ** n, `gap ${n} was ${gap} ms`));
    assert.ok(
      (between[3] ?? 0) > (between[0] ?? 0) && (between[2] ?? 0) > (between[0] ?? 0),
      `gaps ${between}`,
    );
  });
});

test('429 with Retry-After in seconds or as an HTTP date is honoured', async () => {
  await withReceiver({}, async (receiver) => {
    const handler = await loadBundle({ REMOTE_WRITE_URL: receiver.url, RETRY_BASE_DELAY_MS: '1' });
    receiver.enqueueFaults({ kind: 'status', status: 429, body: 'slow down', retryAfter: '1' });
    const first = fixture(2, 3, 'throttled-a');
    assert.deepEqual(await handler(sqsEvent(first.records), lambdaContext()), { batchItemFailures: [] });
    assert.ok((gaps(receiver)[0] ?? 0) >= 1000, `waited ${gaps(receiver)[0]} ms`);

    receiver.requests.length = 0;
    receiver.enqueueFaults({
      kind: 'status',
      status: 429,
      retryAfter: new Date(Date.now() + 2000).toUTCString(),
    });
    const second = fixture(2, 3, 'throttled-b');
    assert.deepEqual(await handler(sqsEvent(second.records), lambdaContext()), { batchItemFailures: [] });
    // An HTTP date has whole seconds: at least 1 s of the 2 s remains.
    assert.ok((gaps(receiver)[0] ?? 0) >= 900, `waited ${gaps(receiver)[0]} ms`);
    assertStored(receiver, first.expected);
    assertStored(receiver, second.expected);
  });
});

test('persistent 500 with a short deadline: returns before the deadline, every message reported', async () => {
  await withReceiver({}, async (receiver) => {
    const handler = await loadBundle({
      REMOTE_WRITE_URL: receiver.url,
      REMOTE_WRITE_MAX_SAMPLES_PER_REQUEST: '10',
      REMOTE_WRITE_CONCURRENCY: '2',
      RETRY_BASE_DELAY_MS: '50',
      RETRY_MAX_DELAY_MS: '400',
      DEADLINE_SAFETY_MARGIN_MS: '1000',
      DEAD_LETTER_QUEUE_URL: await newDeadLetterQueue(),
    });
    receiver.enqueueFaults(...Array.from({ length: 1000 }, () => ({ kind: 'status' as const, status: 500 })));
    const data = fixture(6, 10, 'down');
    const budgetMs = 3000;
    const started = Date.now();
    const response = await handler(sqsEvent(data.records), lambdaContext(budgetMs));
    const elapsed = Date.now() - started;
    // Not a speed check: returning after the deadline means Lambda kills the invocation and loses the answer.
    assert.ok(elapsed < budgetMs, `returned after ${elapsed} ms of a ${budgetMs} ms budget`);
    assert.deepEqual(failedIds(response), data.records.map((r) => r.messageId).sort());
    assert.equal(receiver.writtenSampleCount(), 0);
    assert.ok(receiver.requests.length > 2);
  });
});

test('one message rejected with 400 among 500: only it is dead-lettered, in far fewer requests', async () => {
  await withReceiver(
    {
      rejectSample: (labels) =>
        labels.some((l) => l.value === 'poison') ? 'sample timestamp out of bounds' : undefined,
    },
    async (receiver) => {
      const dlq = await newDeadLetterQueue();
      const handler = await loadBundle({ REMOTE_WRITE_URL: receiver.url, DEAD_LETTER_QUEUE_URL: dlq });
      const data = fixture(50, 10, 'mixed');
      const poison = sqsRecord(sampleBody('poison', 1, Date.now() - 60_000));
      const records = shuffle([...data.records, poison], 3);
      const response = await handler(sqsEvent(records), lambdaContext());
      assert.deepEqual(response, { batchItemFailures: [] });
      assertStored(receiver, data.expected);
      assert.ok(receiver.requests.length < 30, `${receiver.requests.length} requests for 501 messages`);
      const dead = await receiveAll(sqsServer().client(), dlq);
      assert.equal(dead.length, 1);
      const attributes = dead[0]?.MessageAttributes ?? {};
      assert.equal(dead[0]?.Body, poison.body);
      assert.equal(attributes['bridge-error-kind']?.StringValue, 'rejected-by-receiver');
      assert.equal(attributes['bridge-source-message-id']?.StringValue, poison.messageId);
      assert.match(attributes['bridge-error']?.StringValue ?? '', /400.*sample timestamp out of bounds/);
    },
  );
});

test('timeouts and reset connections are retried: nothing lost, nothing doubled', async () => {
  await withReceiver({}, async (receiver) => {
    const handler = await loadBundle({
      REMOTE_WRITE_URL: receiver.url,
      REMOTE_WRITE_TIMEOUT_MS: '300',
      RETRY_BASE_DELAY_MS: '10',
    });
    receiver.enqueueFaults(
      { kind: 'delay', ms: 1500 },
      { kind: 'drop' },
      { kind: 'drop', afterWrite: true },
      { kind: 'status', status: 503 },
    );
    const data = fixture(4, 5, 'netfault');
    const response = await handler(sqsEvent(data.records), lambdaContext());
    assert.deepEqual(response, { batchItemFailures: [] });
    assertStored(receiver, data.expected);
    assert.equal(receiver.writtenSampleCount(), 20);
    assert.equal(receiver.requests.at(-1)?.status, 204);
  });
});

test('a resend refused as out of order after a lost answer counts as written, not dead-lettered', async () => {
  // Like Prometheus/Cortex/AMP with no out-of-order window: an exact duplicate is accepted only for the newest
  // sample of its series, so the resend of a request whose first answer was lost is refused for the rest.
  await withReceiver({ exactDuplicates: 'newest-only' }, async (receiver) => {
    const dlq = await newDeadLetterQueue();
    const handler = await loadBundle({
      REMOTE_WRITE_URL: receiver.url,
      DEAD_LETTER_QUEUE_URL: dlq,
      RETRY_BASE_DELAY_MS: '10',
    });
    receiver.enqueueFaults({ kind: 'drop', afterWrite: true });
    const data = fixture(4, 5, 'lostanswer');
    const response = await handler(sqsEvent(data.records), lambdaContext());
    assert.deepEqual(response, { batchItemFailures: [] });
    assertStored(receiver, data.expected);
    assert.equal(receiver.writtenSampleCount(), 20);
    assert.equal(receiver.requests[1]?.status, 400, 'the resend met the newest-only rule');
    assert.equal((await receiveAll(sqsServer().client(), dlq)).length, 0);
  });
});

test('413 splits the request without blaming any message', async () => {
  await withReceiver({}, async (receiver) => {
    const dlq = await newDeadLetterQueue();
    const handler = await loadBundle({ REMOTE_WRITE_URL: receiver.url, DEAD_LETTER_QUEUE_URL: dlq });
    receiver.enqueueFaults({ kind: 'status', status: 413, body: 'request too large' });
    const data = fixture(4, 5, 'large');
    assert.deepEqual(await handler(sqsEvent(data.records), lambdaContext()), { batchItemFailures: [] });
    assertStored(receiver, data.expected);
    assert.equal((await receiveAll(sqsServer().client(), dlq)).length, 0);
  });
});

test('invalid messages are dead-lettered at once as invalid-message; the rest is written', async () => {
  await withReceiver({}, async (receiver) => {
    const dlq = await newDeadLetterQueue();
    const handler = await loadBundle({ REMOTE_WRITE_URL: receiver.url, DEAD_LETTER_QUEUE_URL: dlq });
    const data = fixture(3, 4, 'valid');
    const bad = [sqsRecord('not json'), sqsRecord('{"name":"x","value":"abc"}')];
    bad[0]!.messageAttributes = { origin: { dataType: 'String', stringValue: 'device-gw' } };
    const response = await handler(sqsEvent([...bad, ...data.records]), lambdaContext());
    assert.deepEqual(response, { batchItemFailures: [] });
    assertStored(receiver, data.expected);
    const dead = await receiveAll(sqsServer().client(), dlq);
    assert.deepEqual(
      dead.map((m) => m.MessageAttributes?.['bridge-source-message-id']?.StringValue).sort(),
      bad.map((r) => r.messageId).sort(),
    );
    for (const message of dead) {
      assert.equal(message.MessageAttributes?.['bridge-error-kind']?.StringValue, 'invalid-message');
      assert.ok((message.MessageAttributes?.['bridge-error']?.StringValue ?? '').length > 0);
    }
    const withOrigin = dead.find((m) => m.Body === 'not json');
    assert.equal(withOrigin?.MessageAttributes?.['origin']?.StringValue, 'device-gw');
  });
});

test('a failing dead-letter queue, or none, turns would-be dead letters into batch item failures', async () => {
  await withReceiver(
    { rejectSample: (labels) => (labels.some((l) => l.value === 'poison') ? 'bad sample' : undefined) },
    async (receiver) => {
      const data = fixture(3, 3, 'dlqfail');
      const poison = sqsRecord(sampleBody('poison', 1, Date.now() - 60_000));
      const invalid = sqsRecord('{]');
      const expectedFailures = [poison.messageId, invalid.messageId].sort();
      for (const deadLetterQueueUrl of [`${sqsServer().endpoint}/000000000000/does-not-exist`, undefined]) {
        const handler = await loadBundle({
          REMOTE_WRITE_URL: receiver.url,
          ...(deadLetterQueueUrl === undefined ? {} : { DEAD_LETTER_QUEUE_URL: deadLetterQueueUrl }),
        });
        const response: SQSBatchResponse = await handler(
          sqsEvent([poison, invalid, ...data.records]),
          lambdaContext(),
        );
        assert.deepEqual(failedIds(response), expectedFailures);
        assertStored(receiver, data.expected);
      }
    },
  );
});

test('a dead-letter queue that never answers: the handler returns before the Lambda deadline, letters failed', async () => {
  // A server on loopback that accepts connections and never answers, like a hung SQS endpoint.
  const held = new Set<Socket>();
  let connections = 0;
  const silent = createServer((socket) => {
    connections += 1;
    held.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => held.delete(socket));
  });
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  const endpoint = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  try {
    await withReceiver({}, async (receiver) => {
      const handler = await loadBundle({
        REMOTE_WRITE_URL: receiver.url,
        DEAD_LETTER_QUEUE_URL: `${endpoint}/000000000000/silent-dlq`,
        AWS_ENDPOINT_URL_SQS: endpoint,
        DEADLINE_SAFETY_MARGIN_MS: '1000',
      });
      const data = fixture(2, 3, 'silentdlq');
      const invalid = [sqsRecord('{]'), sqsRecord('not json')];
      const budgetMs = 2_500;
      const context = lambdaContext(budgetMs);
      // Not a speed check: without a bound the handler never returns at all. The allowance is generous.
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<'hung'>((resolve) => {
        timer = setTimeout(() => resolve('hung'), budgetMs + 20_000);
      });
      const response = await Promise.race([handler(sqsEvent([...invalid, ...data.records]), context), hung]);
      clearTimeout(timer);
      assert.notEqual(response, 'hung', 'the handler did not return');
      assert.deepEqual(failedIds(response as SQSBatchResponse), invalid.map((r) => r.messageId).sort());
      assertStored(receiver, data.expected);
      assert.ok(connections > 0, 'the dead letters went to the silent endpoint');
    });
  } finally {
    process.env['AWS_ENDPOINT_URL_SQS'] = sqsServer().endpoint;
    for (const socket of held) socket.destroy();
    silent.close();
  }
});

test('only letters SQS confirmed leave the batch; answers naming no letter never reach batchItemFailures', async () => {
  // fauxqs always answers well, so this SQS endpoint is a scripted stand-in: it confirms nothing and lists
  // failures without an Id or with an Id that was never sent.
  const answers: string[] = [];
  const scripted = createHttpServer((request, response) => {
    request.resume();
    request.on('end', () => {
      answers.push(String(request.headers['x-amz-target']));
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(
        JSON.stringify({
          Successful: [],
          Failed: [
            { Code: 'InternalError', Message: 'no id', SenderFault: false },
            { Id: 'm77', Code: 'InternalError', Message: 'unknown id', SenderFault: false },
          ],
        }),
      );
    });
  });
  scripted.listen(0, '127.0.0.1');
  await once(scripted, 'listening');
  const endpoint = `http://127.0.0.1:${(scripted.address() as AddressInfo).port}`;
  try {
    await withReceiver({}, async (receiver) => {
      const handler = await loadBundle({
        REMOTE_WRITE_URL: receiver.url,
        DEAD_LETTER_QUEUE_URL: `${endpoint}/000000000000/scripted-dlq`,
        AWS_ENDPOINT_URL_SQS: endpoint,
      });
      const data = fixture(2, 2, 'scripted');
      const invalid = [sqsRecord('{]'), sqsRecord('not json')];
      const response = await handler(sqsEvent([...invalid, ...data.records]), lambdaContext());
      assert.deepEqual(failedIds(response), invalid.map((r) => r.messageId).sort());
      assert.ok(answers.includes('AmazonSQS.SendMessageBatch'), answers.join());
      assertStored(receiver, data.expected);
    });
  } finally {
    process.env['AWS_ENDPOINT_URL_SQS'] = sqsServer().endpoint;
    scripted.closeAllConnections();
    scripted.close();
  }
});

test('a malformed record returns the others to the queue and names no non-string id', async () => {
  await withReceiver({}, async (receiver) => {
    const handler = await loadBundle({ REMOTE_WRITE_URL: receiver.url });
    const good = sqsRecord(sampleBody('malformed', 1, Date.now() - 60_000));
    const event = { Records: [null, { messageId: 42 }, good] } as unknown as Parameters<typeof handler>[0];
    assert.deepEqual(failedIds(await handler(event, lambdaContext())), [good.messageId]);
  });
});

test('401 is a configuration problem: nothing dead-lettered, everything back to the queue, no retry storm', async () => {
  await withReceiver({}, async (receiver) => {
    const dlq = await newDeadLetterQueue();
    const handler = await loadBundle({
      REMOTE_WRITE_URL: receiver.url,
      DEAD_LETTER_QUEUE_URL: dlq,
      REMOTE_WRITE_MAX_SAMPLES_PER_REQUEST: '5',
      REMOTE_WRITE_CONCURRENCY: '1',
    });
    receiver.enqueueFaults({ kind: 'status', status: 401, body: 'missing credentials' });
    const data = fixture(4, 5, 'unauth');
    const response = await handler(sqsEvent(data.records), lambdaContext());
    assert.deepEqual(failedIds(response), data.records.map((r) => r.messageId).sort());
    assert.equal(receiver.requests.length, 1);
    assert.equal((await receiveAll(sqsServer().client(), dlq)).length, 0);
  });
});

test('a configuration error fails the cold start naming the variable', async () => {
  await assert.rejects(loadBundle({ REMOTE_WRITE_URL: 'ftp://example/write' }), /REMOTE_WRITE_URL/);
  await assert.rejects(
    loadBundle({ REMOTE_WRITE_URL: 'http://127.0.0.1:9/api/v1/write', REMOTE_WRITE_AUTH: 'bearer' }),
    /REMOTE_WRITE_SECRET_ARN/,
  );
});

test('an empty event and non-JSON garbage never throw', async () => {
  await withReceiver({}, async (receiver) => {
    const handler = await loadBundle({ REMOTE_WRITE_URL: receiver.url });
    assert.deepEqual(await handler(sqsEvent([]), lambdaContext()), { batchItemFailures: [] });
    const garbage = sqsRecord('\u0000\u0001');
    assert.deepEqual(failedIds(await handler(sqsEvent([garbage]), lambdaContext())), [garbage.messageId]);
  });
});
