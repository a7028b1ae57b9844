// Goal 5: peak RSS while handling a 10,000-message batch (10 samples per message), each run in a fresh process,
// alternating with baseline processes that build the same event but do not handle it.
import { runChild } from '../lib/child.js';
import { benchNodeVersion } from '../lib/machine.js';
import { mb, type GoalResult } from '../lib/goal.js';
import { startSink } from '../lib/sink.js';
import { spread } from '../lib/stats.js';
import { benchHandlerEnv } from './handler-throughput.js';
import { INGEST_NODE_OPTIONS } from '../../infra/ingest-node-options.js';

interface ChildResult {
  mode: 'baseline' | 'handle';
  atStart: number;
  afterImport: number;
  afterEvent: number;
  peak: number;
  failures: number;
}

export const GOAL_BYTES = 128 * 1024 * 1024;

/** A difference in MB with its sign: the large fleet may peak below the small one. */
function signedMb(bytes: number): string {
  return `${bytes < 0 ? '' : '+'}${mb(bytes)}`;
}

export async function peakRss(rounds = 5): Promise<GoalResult> {
  const sink = await startSink();
  try {
    const handled: ChildResult[] = [];
    const baseline: ChildResult[] = [];
    // As deployed: the stack gives the function INGEST_NODE_OPTIONS. For comparison, Node's own young
    // generation, which Node sizes from the machine's memory.
    const defaultYoung: ChildResult[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const mode of round % 2 === 0 ? ['handle', 'baseline'] : ['baseline', 'handle']) {
        const result = await runChild<ChildResult>('bench/goals/peak-rss-child.ts', {
          env: { ...benchHandlerEnv(sink.url), BENCH_RSS_MODE: mode },
          nodeArgs: [INGEST_NODE_OPTIONS],
        });
        (mode === 'handle' ? handled : baseline).push(result);
      }
      defaultYoung.push(
        await runChild<ChildResult>('bench/goals/peak-rss-child.ts', {
          env: { ...benchHandlerEnv(sink.url), BENCH_RSS_MODE: 'handle' },
        }),
      );
    }
    const peak = spread(handled.map((r) => r.peak));
    const base = spread(baseline.map((r) => r.peak));
    const worst = peak.max;
    const failures = handled.reduce((n, r) => n + r.failures, 0);
    const first = handled[0]!;
    return {
      id: '5',
      title: 'Peak RSS handling 10,000 messages × 10 samples',
      figure: `${mb(peak.median)} peak (worst ${mb(worst)})`,
      goal: `≤ ${mb(GOAL_BYTES)}`,
      pass: worst <= GOAL_BYTES && failures === 0,
      details: [
        `peak maxRSS with handling: median ${mb(peak.median)}, min ${mb(peak.min)}, max ${mb(peak.max)} (n=${peak.n} fresh processes)`,
        `baseline maxRSS (node + bundle imported + the event built, not handled): median ${mb(base.median)} (n=${base.n}); the handler adds ${mb(peak.median - base.median)}`,
        `inside one handling process: ${mb(first.atStart)} at start, ${mb(first.afterImport)} after importing the bundle, ${mb(first.afterEvent)} with the event built, ${mb(first.peak)} after handling`,
        `processes run with the function's NODE_OPTIONS \`${INGEST_NODE_OPTIONS}\` (infra/ingest-node-options.ts); with Node's default young generation instead: median ${mb(spread(defaultYoung.map((r) => r.peak)).median)}, max ${mb(spread(defaultYoung.map((r) => r.peak)).max)} (n=${defaultYoung.length})`,
        `workload: 10,000 report messages × 10 metrics from a fleet of 1,000 devices, one batch per fresh process; batch item failures: ${failures}`,
      ],
    };
  } finally {
    await sink.close();
  }
}

export const GOAL_LARGE_FLEET_EXTRA_BYTES = 64 * 1024 * 1024;

interface FleetRssResult {
  devices: number;
  batches: number;
  peak: number;
  failures: number;
}

/**
 * Goal 5b: peak RSS of a fresh process handling 10 batches of 10,000 3-metric reports from a fleet of 1,000,000
 * devices (every message a device new to the process), against the same run from 1,000 devices, alternating.
 */
export async function peakRssLargeFleet(rounds = 3): Promise<GoalResult> {
  const sink = await startSink();
  try {
    const peaks: Record<'small' | 'large', number[]> = { small: [], large: [] };
    let failures = 0;
    for (let round = 0; round < rounds; round++) {
      for (const size of round % 2 === 0 ? (['large', 'small'] as const) : (['small', 'large'] as const)) {
        const r = await runChild<FleetRssResult>('bench/goals/large-fleets-child.ts', {
          env: {
            ...benchHandlerEnv(sink.url),
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
            BENCH_MODE: 'rss',
            BENCH_DEVICES: size === 'large' ? '1000000' : '1000',
            BENCH_BATCHES: '10',
          },
          nodeArgs: [INGEST_NODE_OPTIONS],
        });
        peaks[size].push(r.peak);
        failures += r.failures;
      }
    }
    const extra = spread(peaks.large.map((bytes, i) => bytes - peaks.small[i]!));
    const large = spread(peaks.large);
    const small = spread(peaks.small);
    return {
      id: '5b',
      title: 'Peak RSS over 10 batches from 1,000,000 devices vs 1,000 devices',
      figure: `${signedMb(extra.median)} (worst ${signedMb(extra.max)})`,
      goal: `≤ +${mb(GOAL_LARGE_FLEET_EXTRA_BYTES)}`,
      pass: extra.max <= GOAL_LARGE_FLEET_EXTRA_BYTES && failures === 0,
      details: [
        `peak maxRSS, 1,000,000 devices: median ${mb(large.median)}, max ${mb(large.max)}; 1,000 devices: median ${mb(small.median)}, max ${mb(small.max)} (n=${large.n} fresh processes each, alternating); difference per round: median ${mb(extra.median)}, max ${mb(extra.max)}`,
        `workload: 10 batches of 10,000 report messages × 3 metrics in one process (at 1,000,000 devices 100,000 devices and 300,000 series, all new), on ${benchNodeVersion}, handler as in goal 1b, NODE_OPTIONS \`${INGEST_NODE_OPTIONS}\`, AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512; batch item failures: ${failures}`,
      ],
    };
  } finally {
    await sink.close();
  }
}
