// Scheduling rules of delivery.ts with a scripted stand-in client (the real HTTP client and receiver are
// exercised through the bundle in handler.test.ts); here only the order and dependency logic is under test.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noAuth } from '../../functions/ingest/auth/authenticator.js';
import { deliver } from '../../functions/ingest/delivery.js';
import type { AttemptResult, RemoteWriteClient } from '../../functions/ingest/remote-write-client.js';
import { bisectBatch, plainSeriesOf, writeBatchOf } from '../../functions/pipeline/index.js';
import type { WriteBatch } from '../../functions/pipeline/model.js';

function batch(device: string, samples: Array<[number, number[]]>): WriteBatch {
  return writeBatchOf([
    {
      labels: [
        { name: '__name__', value: 'm' },
        { name: 'device', value: device },
      ],
      samples: samples.map(([timestampMs, msgs]) => ({ timestampMs, value: 1, messages: msgs })),
    },
  ]);
}

/** Encodes a batch as its JSON so the stand-in client can tell requests apart. */
const encode = (b: WriteBatch) =>
  Buffer.from(JSON.stringify(plainSeriesOf(b).map((s) => s.samples.map((x) => x.timestampMs))));

function scriptedClient(
  answer: (body: string, n: number) => AttemptResult,
): RemoteWriteClient & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    async send(body) {
      const text = Buffer.from(body).toString('utf8');
      sent.push(text);
      return answer(text, sent.length);
    },
    close() {},
  };
}

const options = {
  authenticator: noAuth,
  encode,
  bisect: bisectBatch,
  concurrency: 4,
  timeoutMs: 1000,
  retryBaseDelayMs: 1,
  retryMaxDelayMs: 2,
  sleep: () => Promise.resolve(),
};

test('a request whose prerequisite failed retryably is never sent; independent ones are', async () => {
  const first = batch('a', [[1, [0]]]);
  const second = batch('a', [[2, [1]]]);
  const independent = batch('b', [[5, [2]]]);
  // Series 'a' is down until the deadline; 'b' is fine.
  const client = scriptedClient((body) =>
    body === '[[1]]'
      ? { kind: 'response', status: 503, text: 'down' }
      : { kind: 'response', status: 204, text: '' },
  );
  let clock = 0;
  const result = await deliver([first, second, independent], [[], [0], []], {
    ...options,
    client,
    deadlineMs: 1000,
    now: () => (clock += 10),
  });
  assert.deepEqual([...result.unwritten].sort(), [0, 1]);
  assert.ok(!client.sent.includes('[[2]]'), 'the dependent request was sent');
  assert.ok(client.sent.includes('[[5]]'));
  assert.ok(result.retries > 0);
});

test('bisection sends left before right and blames only the refused sample', async () => {
  const big = batch('a', [
    [1, [0]],
    [2, [1]],
    [3, [2]],
    [4, [3]],
  ]);
  const client = scriptedClient((body) =>
    body.includes('3')
      ? { kind: 'response', status: 400, text: 'bad sample at 3' }
      : { kind: 'response', status: 204, text: '' },
  );
  const result = await deliver([big], [[]], { ...options, client, deadlineMs: Date.now() + 10_000 });
  assert.deepEqual(client.sent, ['[[1,2,3,4]]', '[[1,2]]', '[[3,4]]', '[[3]]', '[[4]]']);
  assert.deepEqual([...result.rejected.entries()], [[2, 'receiver answered HTTP 400: bad sample at 3']]);
  assert.deepEqual([...result.unwritten], []);
  assert.equal(result.samplesWritten, 3);
});

test('an unexpected error stops the other requests and settles them before deliver rejects', async () => {
  const slow = batch('a', [[1, [0]]]);
  const broken = batch('b', [[5, [1]]]);
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const client = scriptedClient(() => ({ kind: 'response', status: 503, text: 'down' }));
  const gatedClient: RemoteWriteClient = {
    async send(body, timeoutMs) {
      const answer = await client.send(body, timeoutMs);
      await gate;
      return answer;
    },
    close() {},
  };
  let settled = false;
  const outcome = deliver([slow, broken], [[], []], {
    ...options,
    client: gatedClient,
    // A bug in the encoder stands for any unexpected error inside delivery.
    encode: (b) => {
      if (b === broken) throw new Error('encoder bug');
      return encode(b);
    },
    deadlineMs: Date.now() + 2_000,
  }).then(
    () => {
      settled = true;
      return undefined;
    },
    (error: unknown) => {
      settled = true;
      return error;
    },
  );
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false, 'deliver settled while a request was still in flight');
  release();
  const error = await outcome;
  assert.match((error as Error).message, /encoder bug/);
  const sends = client.sent.length;
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(client.sent.length, sends, 'a request kept retrying after deliver rejected');
  assert.deepEqual(client.sent, ['[[1]]']);
});
