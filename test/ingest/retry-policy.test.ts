import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  backoffDelayMs,
  classifyStatus,
  nextDelayMs,
  parseRetryAfterMs,
} from '../../functions/ingest/retry-policy.js';

test('status codes map to the contract: 2xx written, 5xx/429/408 retried, content 4xx bisected', () => {
  assert.equal(classifyStatus(200), 'accepted');
  assert.equal(classifyStatus(204), 'accepted');
  for (const status of [500, 502, 503, 504, 429, 408]) assert.equal(classifyStatus(status), 'retry');
  for (const status of [400, 409, 422]) assert.equal(classifyStatus(status), 'reject');
  assert.equal(classifyStatus(413), 'split');
  for (const status of [401, 403, 404, 405, 415]) assert.equal(classifyStatus(status), 'misconfigured');
  assert.equal(classifyStatus(302), 'retry');
});

test('back-off grows exponentially, stays within its cap and always has jitter room', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 40 }),
      fc.double({ min: 0, max: 0.999999, noNaN: true }),
      (retry, r) => {
        const delay = backoffDelayMs(retry, 100, 10_000, () => r);
        const ceiling = Math.min(10_000, 100 * 2 ** retry);
        return delay >= ceiling / 2 - 1 && delay < ceiling;
      },
    ),
  );
  // Equal jitter: the shortest possible gap of a retry is at least the longest possible gap of the one before.
  for (let retry = 0; retry < 6; retry++) {
    assert.ok(
      backoffDelayMs(retry + 1, 100, 100_000, () => 0) >= backoffDelayMs(retry, 100, 100_000, () => 0.999),
    );
  }
});

test('Retry-After is read as seconds or an HTTP date and wins when longer than the back-off', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfterMs('3', now), 3000);
  assert.equal(parseRetryAfterMs(' 0 ', now), 0);
  assert.equal(parseRetryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
  assert.equal(parseRetryAfterMs('Wed, 31 Dec 2025 23:00:00 GMT', now), 0);
  assert.equal(parseRetryAfterMs('soon', now), undefined);
  assert.equal(parseRetryAfterMs(undefined, now), undefined);
  const options = { baseMs: 100, maxMs: 1000, random: () => 0.5 };
  assert.equal(nextDelayMs(0, 3000, options), 3000);
  assert.equal(
    nextDelayMs(3, 10, options),
    backoffDelayMs(3, 100, 1000, () => 0.5),
  );
});
