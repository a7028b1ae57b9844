// sendWithRetry on a fake clock: back-off, Retry-After, the deadline and unrecoverable errors, in milliseconds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  MIN_ATTEMPT_MS,
  RecoverableError,
  sendWithRetry,
  type RetryOptions,
} from '../../../functions/ingest/delivery/index.js';
import { fakeClock } from './model-receiver.js';

function options(clock: ReturnType<typeof fakeClock>, overrides: Partial<RetryOptions> = {}): RetryOptions {
  return {
    clock,
    baseDelayMs: 100,
    maxDelayMs: 10_000,
    deadlineMs: clock.now() + 60_000,
    retryUntilMs: clock.now() + 60_000,
    ...overrides,
  };
}

test('a recoverable error is retried after growing back-off waits until the attempt succeeds', async () => {
  const clock = fakeClock();
  const t0 = clock.now();
  const starts: number[] = [];
  const retries: number[] = [];
  const outcome = await sendWithRetry<never>(
    async (retry) => {
      starts.push(clock.now() - t0);
      return retry < 3 ? new RecoverableError('HTTP 503') : undefined;
    },
    options(clock, { onRetry: (event) => retries.push(event.delayMs) }),
  );
  assert.equal(outcome, undefined);
  // Equal jitter with random() = 0.5: three quarters of 100, 200, 400 ms.
  assert.deepEqual(retries, [75, 150, 300]);
  assert.deepEqual(starts, [0, 75, 225, 525]);
});

test("the receiver's Retry-After wins when it asks for longer than the back-off", async () => {
  const clock = fakeClock();
  const waits: number[] = [];
  await sendWithRetry<never>(
    async (retry) => (retry === 0 ? new RecoverableError('HTTP 429', 5_000) : undefined),
    options(clock, { onRetry: (event) => waits.push(event.delayMs) }),
  );
  assert.deepEqual(waits, [5_000]);
});

test('an unrecoverable error ends the loop at once and is returned', async () => {
  const clock = fakeClock();
  let attempts = 0;
  const refusal = { kind: 'refused' as const };
  const outcome = await sendWithRetry(async () => {
    attempts += 1;
    return refusal;
  }, options(clock));
  assert.equal(outcome, refusal);
  assert.equal(attempts, 1);
});

test('no wait ends after retryUntilMs: the loop gives up with the last error', async () => {
  const clock = fakeClock();
  const outcome = await sendWithRetry<never>(
    async () => new RecoverableError('HTTP 500: down'),
    options(clock, { retryUntilMs: clock.now() + 1_000 }),
  );
  assert.equal(outcome?.kind, 'gave-up');
  assert.equal(outcome.stopped, false);
  assert.equal(outcome.lastError?.reason, 'HTTP 500: down');
  assert.match(outcome.reason, /deadline too close to wait \d+ ms after HTTP 500: down/);
  assert.ok(clock.now() <= 1_000_000 + 1_000);
});

test('no attempt starts with less than MIN_ATTEMPT_MS left; the attempt gets the time that is left', async () => {
  const clock = fakeClock();
  const lefts: number[] = [];
  const none = await sendWithRetry<never>(
    async (_retry, left) => {
      lefts.push(left);
      return undefined;
    },
    options(clock, { deadlineMs: clock.now() + MIN_ATTEMPT_MS - 1 }),
  );
  assert.equal(none?.kind, 'gave-up');
  assert.equal(none.lastError, undefined);
  assert.equal(lefts.length, 0);
  await sendWithRetry<never>(
    async (_retry, left) => {
      lefts.push(left);
      return undefined;
    },
    options(clock, { deadlineMs: clock.now() + 700 }),
  );
  assert.deepEqual(lefts, [700]);
});

test('stopped() ends the loop before the next attempt', async () => {
  const clock = fakeClock();
  let stop = false;
  let attempts = 0;
  const outcome = await sendWithRetry<never>(
    async () => {
      attempts += 1;
      stop = true;
      return new RecoverableError('HTTP 503');
    },
    options(clock, { stopped: () => stop }),
  );
  assert.equal(outcome?.kind, 'gave-up');
  assert.equal(outcome.stopped, true);
  assert.equal(attempts, 1);
});
