// Property of delivery's ledger: for random batches (several samples per series, series split over requests,
// samples shared by messages) against a receiver model with random behaviour (partial write then 400, whole-
// request 400 or 500, 5xx after storing, lost answers, hangs) and random receive counts, every message ends in
// exactly one place, and every message counted as written has all its samples in the receiver's store. The real
// pipeline plans the batch; the clock is fake, so a run takes milliseconds. FC_SEED=<seed> replays a failure.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { noAuth } from '../../../functions/ingest/auth/authenticator.js';
import { deliver } from '../../../functions/ingest/delivery/index.js';
import { bisectBatch, planBatch, SampleNormaliser } from '../../../functions/pipeline/index.js';
import { DEFAULT_PIPELINE_CONFIG } from '../../../functions/pipeline/config.js';
import { fakeClock, modelEncode, ModelReceiver, type ModelFault } from './model-receiver.js';

const messageArbitrary = fc.record({
  device: fc.integer({ min: 0, max: 4 }),
  second: fc.integer({ min: 0, max: 12 }),
  poison: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  receives: fc.integer({ min: 1, max: 3 }),
});

const faultArbitrary: fc.Arbitrary<ModelFault> = fc.oneof(
  fc.constantFrom(500, 503, 429).map((status): ModelFault => ({ kind: 'status', status })),
  fc.constant<ModelFault>({ kind: 'stored-then-500' }),
  fc.boolean().map((stored): ModelFault => ({ kind: 'lost', stored })),
  fc.boolean().map((stored): ModelFault => ({ kind: 'hang', stored })),
);

const START_MS = 1_700_000_000_000;
const seriesKey = (device: number): string => `__name__=m,device=d${device}`;

test('every message ends in exactly one place; written means stored', async () => {
  const seed = Number(process.env['FC_SEED'] ?? Date.now() % 2 ** 31);
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(messageArbitrary, { minLength: 1, maxLength: 30 }),
        fc.array(faultArbitrary, { maxLength: 10 }),
        fc.constantFrom<'partial' | 'whole'>('partial', 'whole'),
        fc.constantFrom(400, 500),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom<number | undefined>(undefined, 2, 3),
        async (messages, faults, mode, wholeRefusalStatus, maxSamples, maxReceiveCount) => {
          await checkOnce(messages, faults, mode, wholeRefusalStatus, maxSamples, maxReceiveCount);
        },
      ),
      { numRuns: 300, seed },
    );
  } catch (error) {
    console.error(`ledger property failed with FC_SEED=${seed}`);
    throw error;
  }
});

type Message = { device: number; second: number; poison: boolean; receives: number };

async function checkOnce(
  messages: Message[],
  faults: ModelFault[],
  mode: 'partial' | 'whole',
  wholeRefusalStatus: number,
  maxSamples: number,
  maxReceiveCount: number | undefined,
): Promise<void> {
  const clock = fakeClock(START_MS);
  const poisoned = new Set(messages.filter((m) => m.poison).map((m) => `${seriesKey(m.device)}@${m.second}`));
  const receiver = new ModelReceiver({
    mode,
    clock,
    wholeRefusalStatus,
    refuse: (key, t) => (poisoned.has(`${key}@${(t - START_MS) / 1000}`) ? 'refused by policy' : undefined),
  });
  receiver.faults.push(...faults);
  const sources = messages.map((m, i) => ({
    messageId: `m${i}`,
    // One value per (device, second): messages naming the same sample are exact duplicates, never conflicts.
    body: JSON.stringify({
      name: 'm',
      value: m.device * 100 + m.second,
      timestamp: START_MS + m.second * 1000,
      labels: { device: `d${m.device}` },
    }),
    sentTimestampMs: START_MS,
  }));
  const config = {
    ...DEFAULT_PIPELINE_CONFIG,
    request: { ...DEFAULT_PIPELINE_CONFIG.request, maxSamplesPerRequest: maxSamples },
  };
  const plan = planBatch(sources, config, new SampleNormaliser(config));
  assert.deepEqual(plan.invalid, []);
  const isFinal = (i: number): boolean =>
    maxReceiveCount !== undefined && messages[i]!.receives >= maxReceiveCount;
  const result = await deliver(plan.batches, plan.after, {
    client: receiver,
    authenticator: noAuth,
    encode: modelEncode,
    bisect: bisectBatch,
    concurrency: 2,
    deadlineMs: START_MS + 60_000,
    timeoutMs: 1000,
    retryBaseDelayMs: 100,
    retryMaxDelayMs: 2000,
    ...(maxReceiveCount === undefined
      ? {}
      : { lastChance: { isFinalReceive: isFinal, isolateFromMs: START_MS + 30_000 } }),
    now: clock.now,
    sleep: clock.sleep,
    random: clock.random,
  });
  messages.forEach((m, i) => {
    const places = [result.unwritten.has(i), result.rejected.has(i), result.failedAfterRetries.has(i)].filter(
      Boolean,
    ).length;
    assert.ok(places <= 1, `message ${i} in ${places} places`);
    const poison = poisoned.has(`${seriesKey(m.device)}@${m.second}`);
    if (places === 0) {
      assert.ok(!poison, `poison message ${i} counted as written`);
      assert.equal(
        receiver.stored(seriesKey(m.device), START_MS + m.second * 1000),
        m.device * 100 + m.second,
        `written message ${i} not stored`,
      );
    }
    if (!poison) assert.ok(!result.rejected.has(i), `good message ${i} rejected: ${result.rejected.get(i)}`);
    if (isFinal(i)) assert.ok(!result.unwritten.has(i), `message ${i} on its final receive returned`);
    else
      assert.ok(
        !result.failedAfterRetries.has(i),
        `message ${i} failed after retries before its final receive`,
      );
  });
}
