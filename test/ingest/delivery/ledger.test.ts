// The message ledger alone: a message is written only when all its samples are, and ends in one place.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageLedger, NOT_SENT_REASON } from '../../../functions/ingest/delivery/index.js';
import { bisectBatch, writeBatchOf } from '../../../functions/pipeline/index.js';

// Message 0 has samples at t=1 and t=3; message 1 at t=2; message 2 shares t=3 with message 0.
const batch = writeBatchOf([
  {
    labels: [
      { name: '__name__', value: 'm' },
      { name: 'device', value: 'a' },
    ],
    samples: [
      { timestampMs: 1, value: 1, messages: [0] },
      { timestampMs: 2, value: 2, messages: [1] },
      { timestampMs: 3, value: 3, messages: [0, 2] },
    ],
  },
]);
const [left, right] = bisectBatch(batch)!;
const never = (): boolean => false;

test('a message is written once every sample naming it is written', () => {
  const ledger = new MessageLedger([batch]);
  ledger.written(left);
  assert.equal(ledger.isSettled(0), false);
  // Left holds the oldest sample only.
  assert.deepEqual([...ledger.outcome(never).unwritten], [0, 1, 2]);
  ledger.written(right);
  assert.deepEqual([...ledger.outcome(never).unwritten], []);
  assert.equal(ledger.samplesWritten, 3);
  assert.equal(ledger.seriesWritten, 1);
  assert.equal(ledger.oldestWrittenMs, 1);
});

test('a refused sample rejects every message naming it; the first reason is kept', () => {
  const ledger = new MessageLedger([batch]);
  ledger.written(left);
  ledger.rejected(right, 'first');
  ledger.rejected(right, 'second');
  const outcome = ledger.outcome(never);
  assert.deepEqual(
    [...outcome.rejected],
    [
      [0, 'first'],
      [1, 'first'],
      [2, 'first'],
    ],
  );
  assert.deepEqual([...outcome.unwritten], []);
});

test('unwritten messages return, except on their final receive: failed after retries with the last answer', () => {
  const ledger = new MessageLedger([batch]);
  ledger.written(left);
  ledger.failed(right, 'last answer: HTTP 503');
  const outcome = ledger.outcome((message) => message === 2);
  assert.deepEqual([...outcome.unwritten], [0, 1]);
  assert.deepEqual([...outcome.failedAfterRetries], [[2, 'last answer: HTTP 503']]);
  const unsent = new MessageLedger([batch]).outcome(() => true);
  assert.equal(unsent.failedAfterRetries.get(1), NOT_SENT_REASON);
});
