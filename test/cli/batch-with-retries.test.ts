// batchWithRetries against a scripted batch call (the call is the function's own parameter, so no SQS
// client is mocked); the real SendMessageBatch/DeleteMessageBatch paths run in replay.test.ts on fauxqs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchWithRetries, type BatchAnswer, type EntryFailure } from '../../cli/sqs/batch-with-retries.js';

type Outcome = 'ok' | 'retryable' | 'sender-fault' | 'silent';

/** A batch call whose answer for each item is scripted per attempt; it records the requests it got. */
function scripted(outcomes: Record<string, Outcome[]>): {
  call: (entries: ReadonlyArray<{ id: string; item: string }>) => Promise<BatchAnswer>;
  requests: string[][];
} {
  const seen = new Map<string, number>();
  const requests: string[][] = [];
  return {
    requests,
    call: async (entries) => {
      requests.push(entries.map((e) => e.item));
      const answer = {
        Successful: [] as { Id: string }[],
        Failed: [] as NonNullable<BatchAnswer['Failed']>[number][],
      };
      for (const { id, item } of entries) {
        const n = seen.get(item) ?? 0;
        seen.set(item, n + 1);
        const outcome = outcomes[item]?.[n] ?? 'ok';
        if (outcome === 'ok') answer.Successful.push({ Id: id });
        else if (outcome === 'retryable') {
          answer.Failed.push({ Id: id, SenderFault: false, Code: 'InternalError', Message: `busy ${item}` });
        } else if (outcome === 'sender-fault') {
          answer.Failed.push({
            Id: id,
            SenderFault: true,
            Code: 'InvalidMessageContents',
            Message: `bad ${item}`,
          });
        }
      }
      return answer;
    },
  };
}

test('chunks of ten; retryable failures are tried again, sender faults and unanswered entries are not', async () => {
  const items = Array.from({ length: 23 }, (_, i) => `i${i}`);
  const { call, requests } = scripted({
    i3: ['retryable', 'ok'],
    i4: ['sender-fault'],
    i5: ['silent'],
    i20: ['retryable', 'retryable', 'retryable'],
  });
  const failures: Array<[string, EntryFailure]> = [];
  const confirmed = await batchWithRetries(items, {
    call,
    attempts: 3,
    onFailure: (item, failure) => failures.push([item, failure]),
  });
  assert.deepEqual(
    requests.map((r) => r.length),
    [10, 10, 3, 2, 1],
  );
  assert.deepEqual(requests.slice(3), [['i3', 'i20'], ['i20']]);
  assert.deepEqual([...confirmed].sort(), items.filter((i) => !['i4', 'i5', 'i20'].includes(i)).sort());
  assert.deepEqual(failures, [
    ['i4', { code: 'InvalidMessageContents', message: 'bad i4' }],
    ['i20', { code: 'InternalError', message: 'busy i20' }],
  ]);
});

test('a call that throws is retried whole; on the last attempt each of its items is reported', async () => {
  let calls = 0;
  const failures: Array<[string, EntryFailure]> = [];
  const confirmed = await batchWithRetries(['a', 'b'], {
    call: async () => {
      calls += 1;
      throw Object.assign(new Error('connection reset'), { name: 'TimeoutError' });
    },
    attempts: 2,
    onFailure: (item, failure) => failures.push([item, failure]),
  });
  assert.equal(calls, 2);
  assert.equal(confirmed.size, 0);
  assert.deepEqual(failures, [
    ['a', { code: 'TimeoutError', message: 'connection reset' }],
    ['b', { code: 'TimeoutError', message: 'connection reset' }],
  ]);
});

test('a custom chunker decides the requests', async () => {
  const { call, requests } = scripted({});
  const confirmed = await batchWithRetries(['a', 'b', 'c'], {
    call,
    attempts: 1,
    chunks: (items) => items.map((i) => [i]),
    onFailure: () => assert.fail('nothing fails'),
  });
  assert.deepEqual(requests, [['a'], ['b'], ['c']]);
  assert.equal(confirmed.size, 3);
});
