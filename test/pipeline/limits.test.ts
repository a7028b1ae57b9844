// Bounded work per message and the checks at the door: the per-message sample cap, deadline-aware planning, the
// timestamp window around the arrival time, FORCED_LABELS, and the scanner's repeated-name check on long reports.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_PIPELINE_CONFIG, type PipelineConfig } from '../../functions/pipeline/config.js';
import type { SourceMessage } from '../../functions/pipeline/model.js';
import { SampleNormaliser } from '../../functions/pipeline/normalise.js';
import { planBatch, type BatchPlan } from '../../functions/pipeline/plan.js';
import { plainSeriesOf } from '../../functions/pipeline/write-batch.js';

const SENT = 1_732_531_200_000;

function config(overrides: Partial<PipelineConfig> = {}, maxSamplesPerMessage?: number): PipelineConfig {
  const limits = { ...DEFAULT_PIPELINE_CONFIG.limits };
  if (maxSamplesPerMessage !== undefined) limits.maxSamplesPerMessage = maxSamplesPerMessage;
  return { ...DEFAULT_PIPELINE_CONFIG, ...overrides, limits };
}

function messagesOf(bodies: readonly string[], sentTimestampMs = SENT): SourceMessage[] {
  return bodies.map((body, i) => ({ messageId: `m-${i}`, body, sentTimestampMs }));
}

function report(metrics: number, start = 0): string {
  const fields = Array.from({ length: metrics }, (_, i) => `"m_${start + i}":${i}`).join(',');
  return `{"labels":{"device":"d"},"timestamp":${SENT},"metrics":{${fields}}}`;
}

/** Both paths: the scanner's plan and decodeMessage's plan must agree. */
function plans(bodies: readonly string[], cfg: PipelineConfig, sent = SENT): BatchPlan[] {
  const messages = messagesOf(bodies, sent);
  return [
    planBatch(messages, cfg, new SampleNormaliser(cfg)),
    planBatch(messages, cfg, new SampleNormaliser(cfg), { scan: false }),
  ];
}

function reasons(plan: BatchPlan): string[] {
  return plan.invalid.map((f) => `${f.index} ${f.error.field}: ${f.error.reason}`);
}

function labelsOf(plan: BatchPlan): Array<Record<string, string>> {
  return plan.batches.flatMap((b) =>
    plainSeriesOf(b).map((s) => Object.fromEntries(s.labels.map((l) => [l.name, l.value]))),
  );
}

describe('per-message sample cap', () => {
  test('a message over the cap is invalid, naming the count; one at the cap is planned', () => {
    for (const plan of plans(
      [report(5), report(6), '[{"name":"a","value":1},{"metrics":{"b":1,"c":2,"d":3,"e":4,"f":5}}]'],
      config({}, 5),
    )) {
      assert.deepEqual(reasons(plan), [
        '1 : the body holds 6 samples; the limit per message is 5 (MAX_SAMPLES_PER_MESSAGE)',
        '2 : the body holds 6 samples; the limit per message is 5 (MAX_SAMPLES_PER_MESSAGE)',
      ]);
      assert.equal(plan.stats.samples, 5);
    }
  });

  test('defaults to 10,000 samples', () => {
    assert.equal(DEFAULT_PIPELINE_CONFIG.limits.maxSamplesPerMessage, 10_000);
    const [fast, slow] = plans([report(10_000), report(10_001)], DEFAULT_PIPELINE_CONFIG);
    for (const plan of [fast!, slow!]) {
      assert.equal(plan.stats.samples, 10_000);
      assert.match(reasons(plan)[0]!, /^1 : the body holds 10001 samples/);
    }
  });

  test('a long report with a repeated name steps aside, and the slow path keeps the last value as JSON.parse does', () => {
    const body = report(100).replace('"m_99":99', '"m_7":99');
    const [fast, slow] = plans([body], DEFAULT_PIPELINE_CONFIG);
    assert.deepEqual(labelsOf(fast!), labelsOf(slow!));
    assert.equal(fast!.stats.samples, 99);
  });
});

describe('deadline-aware planning', () => {
  test('messages not reached before the deadline are deferred, in order; the rest are planned', () => {
    let clock = 1000;
    // Each look at the clock advances it, as planning a message takes time.
    const now = (): number => (clock += 10);
    // 16 KB bodies (JSON allows the padding): the clock is read before messages 0, 2 and 4.
    const padding = ' '.repeat(16_384);
    const bodies = Array.from(
      { length: 8 },
      (_, i) => `{"name":"t","value":${i},"timestamp":${SENT + i}}${padding}`,
    );
    bodies[1] = `{"name":"t"}${padding}`; // invalid: still planned (as invalid) before the deadline
    const plan = planBatch(messagesOf(bodies), DEFAULT_PIPELINE_CONFIG, undefined, { deadlineMs: 1025, now });
    assert.deepEqual(plan.deferred, [4, 5, 6, 7]);
    assert.equal(clock, 1030, 'the clock was read three times');
    assert.deepEqual(
      plan.invalid.map((f) => f.index),
      [1],
    );
    assert.equal(plan.stats.samples, 3);
    assert.deepEqual(
      plan.batches.flatMap((b) => b.messages),
      [0, 2, 3],
    );
  });

  test('small bodies read the clock once per 32 KB, not per message', () => {
    let reads = 0;
    const now = (): number => (reads += 1);
    const bodies = Array.from(
      { length: 1000 },
      (_, i) => `{"name":"t","value":${i},"timestamp":${SENT + i}}`,
    );
    const plan = planBatch(messagesOf(bodies), DEFAULT_PIPELINE_CONFIG, undefined, { deadlineMs: 1e9, now });
    assert.deepEqual(plan.deferred, []);
    const chars = bodies.reduce((n, b) => n + b.length, 0);
    assert.equal(reads, Math.ceil(chars / 32_768));
  });

  test('a deadline already past defers everything; none defers nothing', () => {
    const messages = messagesOf([report(2), report(3)]);
    const past = planBatch(messages, DEFAULT_PIPELINE_CONFIG, undefined, { deadlineMs: 5, now: () => 10 });
    assert.deepEqual(past.deferred, [0, 1]);
    assert.equal(past.batches.length, 0);
    assert.deepEqual(planBatch(messages).deferred, []);
  });
});

describe('timestamp window', () => {
  const window = config({ sampleWindow: { maxAgeMs: 3_600_000, maxFutureMs: 600_000 } });

  test('samples inside the window pass, at both edges', () => {
    const edges = [SENT - 3_600_000, SENT + 600_000].map((t) => `{"name":"t","value":1,"timestamp":${t}}`);
    for (const plan of plans(edges, window)) assert.deepEqual(reasons(plan), []);
  });

  test('a sample outside makes its message invalid, naming the field and the window', () => {
    const bodies = [
      `{"name":"t","value":1,"timestamp":${SENT - 3_600_001}}`,
      `{"metrics":{"a":1},"timestamp":${SENT + 600_001}}`,
      `[{"name":"a","value":1},{"name":"b","value":1,"timestamp":${SENT - 86_400_000}}]`,
      `[{"n":"a","v":1,"t":${SENT / 1000 - 7200}}]`,
    ];
    for (const plan of plans(bodies, window)) {
      const got = reasons(plan);
      assert.equal(got.length, 4);
      assert.match(
        got[0]!,
        /^0 timestamp: timestamp 2024-11-25T09:59:59.999Z is 1h0m0\.001s|^0 timestamp: timestamp .* before the message's arrival .*MAX_SAMPLE_AGE/,
      );
      assert.match(got[1]!, /^1 timestamp: .* after the message's arrival .*10m newer \(MAX_SAMPLE_FUTURE\)/);
      assert.match(got[2]!, /^2 \[1\]\.timestamp: .*1d before/);
      assert.match(got[3]!, /^3 \[0\]\.t: resolved time bt \+ t: .*2h before/);
    }
  });

  test('a timestamp in seconds, microseconds or nanoseconds is named as such', () => {
    const seconds = Math.floor(SENT / 1000);
    const bodies = [seconds, SENT * 1000, SENT * 1_000_000].map(
      (t) => `{"name":"t","value":1,"timestamp":${t}}`,
    );
    for (const plan of plans(bodies, window)) {
      const got = reasons(plan);
      assert.match(
        got[0]!,
        /^0 timestamp: .*reads as seconds since the epoch \(2024-11-25T10:40:00\.000Z\): send integer milliseconds/,
      );
      assert.match(got[1]!, /^1 timestamp: .*reads as microseconds/);
      assert.match(got[2]!, /^2 timestamp: .*reads as nanoseconds/);
    }
  });

  test('a sample without timestamp takes the arrival time and always passes', () => {
    for (const plan of plans(['{"name":"t","value":1}'], window)) assert.deepEqual(reasons(plan), []);
  });
});

describe('FORCED_LABELS', () => {
  test('win over the message, while EXTRA_LABELS still lose to it', () => {
    const cfg = config({ forcedLabels: { site: 'forced' }, extraLabels: { site: 'extra', zone: 'z' } });
    const bodies = [
      '{"name":"t","value":1,"labels":{"site":"mine","zone":"mine"}}',
      '{"name":"t","value":2,"labels":{"device":"d"}}',
    ];
    for (const plan of plans(bodies, cfg)) {
      assert.deepEqual(labelsOf(plan), [
        { __name__: 't', site: 'forced', zone: 'mine' },
        { __name__: 't', device: 'd', site: 'forced', zone: 'z' },
      ]);
    }
  });

  test('are checked at configuration time', () => {
    assert.throws(() => new SampleNormaliser(config({ forcedLabels: { 'bad-name': 'x' } })), /forced label/);
  });
});
