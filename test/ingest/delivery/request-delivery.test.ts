// deliver() with the real planner against the in-memory receiver on a fake clock: bisection, resends resolved
// (issue cases 1 to 3), last-chance isolation (case 4), 401 refresh, Retry-After and the deadline.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noAuth, type Authenticator } from '../../../functions/ingest/auth/authenticator.js';
import { deliver, type DeliveryOptions } from '../../../functions/ingest/delivery/index.js';
import { LAST_PIECE_RETRY_BUDGET_MS } from '../../../functions/ingest/delivery/request-delivery.js';
import {
  bisectBatch,
  planBatch,
  SampleNormaliser,
  type BatchPlan,
} from '../../../functions/pipeline/index.js';
import { DEFAULT_PIPELINE_CONFIG } from '../../../functions/pipeline/config.js';
import {
  fakeClock,
  modelEncode,
  ModelReceiver,
  type FakeClock,
  type ModelReceiverOptions,
} from './model-receiver.js';

const T0 = 1_700_000_000_000;
const key = (device: string): string => `__name__=m,device=${device}`;

/** One message per [device, second, value]. */
function planOf(samples: Array<[string, number, number]>, maxSamplesPerRequest = 1000): BatchPlan {
  const config = {
    ...DEFAULT_PIPELINE_CONFIG,
    request: { ...DEFAULT_PIPELINE_CONFIG.request, maxSamplesPerRequest },
  };
  const sources = samples.map(([device, second, value], i) => ({
    messageId: `m${i}`,
    body: JSON.stringify({ name: 'm', value, timestamp: T0 + second * 1000, labels: { device } }),
    sentTimestampMs: T0,
  }));
  return planBatch(sources, config, new SampleNormaliser(config));
}

function setup(options: Omit<ModelReceiverOptions, 'clock'>): { clock: FakeClock; receiver: ModelReceiver } {
  const clock = fakeClock(T0);
  return { clock, receiver: new ModelReceiver({ ...options, clock }) };
}

function run(
  plan: BatchPlan,
  clock: FakeClock,
  receiver: ModelReceiver,
  extra: Partial<DeliveryOptions> = {},
) {
  return deliver(plan.batches, plan.after, {
    client: receiver,
    authenticator: noAuth,
    encode: modelEncode,
    bisect: bisectBatch,
    concurrency: 2,
    deadlineMs: T0 + 60_000,
    timeoutMs: 1000,
    retryBaseDelayMs: 100,
    retryMaxDelayMs: 2000,
    now: clock.now,
    sleep: clock.sleep,
    random: clock.random,
    ...extra,
  });
}

const rejectX = (k: string): string | undefined => (k === key('x') ? 'refused by policy' : undefined);

for (const mode of ['partial', 'whole'] as const) {
  test(`case 1, ${mode} write: bisection after a 400 dead-letters only the refused message`, async () => {
    const { clock, receiver } = setup({ mode, refuse: rejectX });
    // A and B are one series; C is refused.
    const plan = planOf([
      ['d', 1, 1],
      ['d', 2, 2],
      ['x', 1, 3],
    ]);
    const result = await run(plan, clock, receiver);
    assert.deepEqual([...result.rejected.keys()], [2]);
    assert.match(result.rejected.get(2)!, /HTTP 400: refused by policy/);
    assert.deepEqual([...result.unwritten], []);
    assert.equal(receiver.stored(key('d'), T0 + 1000), 1);
    assert.equal(receiver.stored(key('d'), T0 + 2000), 2);
  });
}

test('case 2: a 5xx after the request was stored; the retry is refused as out of order and resolved as stored', async () => {
  const { clock, receiver } = setup({ mode: 'whole' });
  receiver.faults.push({ kind: 'stored-then-500' });
  const plan = planOf([
    ['d', 1, 1],
    ['d', 2, 2],
    ['d', 3, 3],
    ['e', 1, 4],
  ]);
  const resolved: boolean[] = [];
  const result = await run(plan, clock, receiver, {
    observer: { resendResolved: (event) => resolved.push(event.stored) },
  });
  assert.deepEqual([...result.rejected], []);
  assert.deepEqual([...result.unwritten], []);
  assert.ok(resolved.length > 0 && resolved.every(Boolean), `resolutions ${resolved}`);
});

test('case 3: a resend after a lost connection, refused because the receiver holds a newer sample, is not written', async () => {
  const { clock, receiver } = setup({ mode: 'whole' });
  // The receiver already holds d at t=5 from elsewhere.
  receiver.store.set(key('d'), new Map([[T0 + 5000, 9]]));
  receiver.newest.set(key('d'), T0 + 5000);
  receiver.faults.push({ kind: 'lost', stored: false });
  const plan = planOf([['d', 1, 1]]);
  const result = await run(plan, clock, receiver);
  assert.deepEqual([...result.unwritten], []);
  assert.match(result.rejected.get(0) ?? '', /out of order/);
  assert.equal(receiver.stored(key('d'), T0 + 1000), undefined);
});

test('case 3 with a lost answer after storing: the resend is resolved as stored', async () => {
  const { clock, receiver } = setup({ mode: 'partial' });
  receiver.faults.push({ kind: 'lost', stored: true });
  const plan = planOf([
    ['d', 1, 1],
    ['d', 2, 2],
  ]);
  const result = await run(plan, clock, receiver);
  assert.deepEqual([...result.rejected], []);
  assert.deepEqual([...result.unwritten], []);
  assert.equal(result.samplesWritten, 2);
});

test('a probe refused for its own content is skipped for the next older sample sent', async () => {
  // d at t=3 is refused: the resend of t=1 must not be judged by it.
  const { clock, receiver } = setup({
    mode: 'partial',
    refuse: (k, t) => (k === key('d') && t === T0 + 3000 ? 'refused by policy' : undefined),
  });
  const plan = planOf([
    ['d', 1, 1],
    ['d', 2, 2],
    ['d', 3, 3],
  ]);
  const result = await run(plan, clock, receiver);
  assert.deepEqual([...result.rejected.keys()], [2]);
  assert.deepEqual([...result.unwritten], []);
});

test('case 4: a poison answered 500 returns its batch before the final receive, and alone on it', async () => {
  // Prometheus 2.42 with an out-of-order window: "too old sample" is a 500 and nothing of the request is stored.
  const samples: Array<[string, number, number]> = [
    ['d', 1, 1],
    ['e', 1, 2],
    ['x', 1, 3],
    ['f', 1, 4],
  ];
  const options = { mode: 'whole' as const, wholeRefusalStatus: 500, refuse: rejectX };
  const before = setup(options);
  const early = await run(planOf(samples), before.clock, before.receiver);
  assert.deepEqual([...early.unwritten], [0, 1, 2, 3]);
  assert.deepEqual([...early.rejected], []);
  assert.deepEqual([...early.failedAfterRetries], []);
  assert.ok(before.clock.now() <= T0 + 60_000);

  const last = setup(options);
  const isolated: string[] = [];
  const final = await run(planOf(samples), last.clock, last.receiver, {
    lastChance: { isFinalReceive: () => true, isolateFromMs: T0 + 30_000 },
    observer: { lastChanceIsolation: (event) => isolated.push(event.reason) },
  });
  assert.deepEqual([...final.unwritten], []);
  assert.deepEqual([...final.failedAfterRetries.keys()], [2]);
  assert.match(final.failedAfterRetries.get(2)!, /last answer: HTTP 500: refused by policy/);
  assert.equal(final.samplesWritten, 3);
  assert.ok(isolated.length > 0);
  assert.ok(last.clock.now() <= T0 + 60_000);
});

test('a 500 that names the content ("too old sample") is bisected at once, not retried', async () => {
  const refuseTooOld = (k: string): string | undefined => (k === key('x') ? 'too old sample' : undefined);
  const samples: Array<[string, number, number]> = [
    ['d', 1, 1],
    ['e', 1, 2],
    ['f', 1, 3],
    ['x', 1, 4],
  ];
  const options = { mode: 'whole' as const, wholeRefusalStatus: 500, refuse: refuseTooOld };
  // Before the final receive: the rest of the request is written now, the poison's message only is returned.
  const early = setup(options);
  const before = await run(planOf(samples), early.clock, early.receiver);
  assert.deepEqual([...before.unwritten], [3]);
  assert.deepEqual([...before.rejected], []);
  assert.deepEqual([...before.failedAfterRetries], []);
  assert.equal(before.samplesWritten, 3);
  assert.equal(before.retries, 0);
  // Requests only (5 ms each here); a back-off would wait at least half the base delay of 100 ms.
  assert.ok(early.clock.now() - T0 < 50, `took ${early.clock.now() - T0} ms`);

  // On it, without waiting for the isolation time: dead-lettered alone with the receiver's answer.
  const last = setup(options);
  const final = await run(planOf(samples), last.clock, last.receiver, {
    lastChance: { isFinalReceive: () => true, isolateFromMs: T0 + 30_000 },
  });
  assert.deepEqual([...final.failedAfterRetries.keys()], [3]);
  assert.match(final.failedAfterRetries.get(3)!, /last answer: HTTP 500: too old sample/);
  assert.deepEqual([...final.unwritten], []);
  assert.equal(final.samplesWritten, 3);
  assert.ok(last.clock.now() - T0 < 50, `took ${last.clock.now() - T0} ms`);
});

test('a sample answered 500 "too old" does not hold back the newer requests of its series', async () => {
  const { clock, receiver } = setup({
    mode: 'whole',
    wholeRefusalStatus: 500,
    refuse: (k, t) => (k === key('x') && t === T0 + 1000 ? 'too old sample' : undefined),
  });
  // Two samples a request: x's third sample goes in a second request, which waits for the first.
  const plan = planOf(
    [
      ['x', 1, 1],
      ['x', 2, 2],
      ['x', 3, 3],
      ['d', 1, 4],
    ],
    2,
  );
  assert.ok(plan.batches.length >= 2 && plan.after.some((before) => before.length > 0));
  const result = await run(plan, clock, receiver);
  assert.deepEqual([...result.unwritten], [0]);
  assert.equal(result.samplesWritten, 3);
});

test('on the final receive, messages not on it are still returned, never dead-lettered', async () => {
  const { clock, receiver } = setup({ mode: 'whole', wholeRefusalStatus: 500, refuse: rejectX });
  const plan = planOf([
    ['d', 1, 1],
    ['x', 1, 3],
    ['x', 2, 4],
  ]);
  const result = await run(plan, clock, receiver, {
    lastChance: { isFinalReceive: (message) => message === 1, isolateFromMs: T0 + 30_000 },
  });
  assert.deepEqual([...result.failedAfterRetries.keys()], [1]);
  assert.deepEqual([...result.unwritten], [2]);
});

test('401: credentials are refreshed once and the attempt repeated without a back-off; a second 401 stops', async () => {
  let invalidated = 0;
  const refreshing: Authenticator = {
    authorize: () => Promise.resolve({}),
    invalidate: () => (invalidated += 1) === 1,
  };
  const { clock, receiver } = setup({ mode: 'whole' });
  receiver.faults.push({ kind: 'status', status: 401 });
  const plan = planOf([['d', 1, 1]]);
  const ok = await run(plan, clock, receiver, { authenticator: refreshing });
  assert.deepEqual([...ok.unwritten], []);
  assert.equal(ok.requests, 2);
  assert.equal(ok.retries, 0);

  receiver.faults.push({ kind: 'status', status: 401 }, { kind: 'status', status: 401 });
  const stopped = await run(planOf([['d', 2, 2]]), clock, receiver, { authenticator: refreshing });
  assert.deepEqual([...stopped.unwritten], [0]);
  assert.match(stopped.abortedBecause ?? '', /HTTP 401/);
});

test('429 with Retry-After waits as asked; a receiver that stays down is given up before the deadline', async () => {
  const { clock, receiver } = setup({ mode: 'whole' });
  receiver.faults.push({ kind: 'status', status: 429, retryAfter: '3' });
  const ok = await run(planOf([['d', 1, 1]]), clock, receiver);
  assert.deepEqual([...ok.unwritten], []);
  assert.ok(clock.now() - T0 >= 3000, `waited ${clock.now() - T0} ms`);

  const down = setup({ mode: 'whole' });
  down.receiver.faults.push(
    ...Array.from({ length: 1000 }, () => ({ kind: 'status' as const, status: 503 })),
  );
  const given = await run(planOf([['d', 1, 1]]), down.clock, down.receiver, { deadlineMs: T0 + 10_000 });
  assert.deepEqual([...given.unwritten], [0]);
  assert.ok(down.clock.now() <= T0 + 10_000);
  assert.ok(given.retries > 3);
});

test('a hang costs the attempt its timeout; the retry goes on within the deadline', async () => {
  const { clock, receiver } = setup({ mode: 'whole' });
  receiver.faults.push({ kind: 'hang', stored: false });
  const result = await run(planOf([['d', 1, 1]]), clock, receiver);
  assert.deepEqual([...result.unwritten], []);
  assert.ok(clock.now() - T0 >= 1000);
});

/** One message of a 3-metric report from device d: three series, one sample each. */
function reportPlan(): BatchPlan {
  const body = JSON.stringify({
    labels: { device: 'd' },
    timestamp: T0 + 1000,
    metrics: { a: 1, b: 2, c: 3 },
  });
  const config = DEFAULT_PIPELINE_CONFIG;
  return planBatch([{ messageId: 'm0', body, sentTimestampMs: T0 }], config, new SampleNormaliser(config));
}

/** Answers 503 before `fromMs`, and from then on 503 for the isolation attempts `failing` names (1-based). */
function downUntil(
  clock: FakeClock,
  receiver: ModelReceiver,
  fromMs: number,
  failing: (attempt: number) => boolean,
) {
  let attempts = 0;
  return {
    send: (body: Uint8Array, timeoutMs: number) => {
      if (clock.now() < fromMs || failing(++attempts)) {
        clock.advance(5);
        return Promise.resolve({ kind: 'response' as const, status: 503, text: 'unavailable' });
      }
      return receiver.send(body, timeoutMs);
    },
    close: () => {},
  };
}

test('final receive: a last piece that still fails is retried, so its message is not dead-lettered half written', async () => {
  const { clock, receiver } = setup({ mode: 'whole' });
  const isolateFromMs = T0 + 30_000;
  // The first isolated piece is written, the next one meets the end of a burst of 503s.
  const client = downUntil(clock, receiver, isolateFromMs, (attempt) => attempt === 2);
  const result = await run(reportPlan(), clock, receiver, {
    client,
    lastChance: { isFinalReceive: () => true, isolateFromMs },
  });
  assert.deepEqual([...result.failedAfterRetries], []);
  assert.equal(result.samplesWritten, 3);
  for (const metric of ['a', 'b', 'c'])
    assert.equal(receiver.stored(`__name__=${metric},device=d`, T0 + 1000) !== undefined, true);
});

test('final receive: the last pieces share a small retry budget, so an outage cannot use up the invocation', async () => {
  const { clock, receiver } = setup({ mode: 'whole' });
  const isolateFromMs = T0 + 30_000;
  // Isolation writes the first piece; the receiver is down again for every later attempt.
  const client = downUntil(clock, receiver, isolateFromMs, (attempt) => attempt > 1);
  const result = await run(reportPlan(), clock, receiver, {
    client,
    lastChance: { isFinalReceive: () => true, isolateFromMs },
  });
  assert.deepEqual([...result.failedAfterRetries.keys()], [0]);
  assert.match(result.failedAfterRetries.get(0)!, /last answer: HTTP 503: unavailable/);
  assert.ok(result.samplesWritten >= 1 && result.samplesWritten < 3);
  const spent = clock.now() - isolateFromMs;
  assert.ok(spent <= LAST_PIECE_RETRY_BUDGET_MS + 100, `spent ${spent} ms after isolation began`);
  assert.ok(spent >= LAST_PIECE_RETRY_BUDGET_MS / 2, `retried for ${spent} ms only`);
});

test('final receive: a last piece answered 500 "too old sample" is not retried, since its content decides', async () => {
  const refuseTooOld = (k: string): string | undefined => (k === key('x') ? 'too old sample' : undefined);
  const requestsFor = async (refuse: (k: string) => string | undefined) => {
    const { clock, receiver } = setup({ mode: 'whole', wholeRefusalStatus: 500, refuse });
    const result = await run(planOf([['x', 1, 1]]), clock, receiver, {
      lastChance: { isFinalReceive: () => true, isolateFromMs: T0 + 30_000 },
    });
    assert.deepEqual([...result.failedAfterRetries.keys()], [0]);
    return { requests: result.requests, at: clock.now() };
  };
  const tooOld = await requestsFor(refuseTooOld);
  const other = await requestsFor(rejectX);
  assert.ok(tooOld.requests < other.requests, `${tooOld.requests} requests against ${other.requests}`);
  assert.ok(other.at - tooOld.at >= LAST_PIECE_RETRY_BUDGET_MS / 2);
});
