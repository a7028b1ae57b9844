// Goal 5: peak RSS while handling a 10,000-message batch (10 samples per message), each run in a fresh process,
// alternating with baseline processes that build the same event but do not handle it.
import { runChild } from '../lib/child.js';
import { mb, type GoalResult } from '../lib/goal.js';
import { startSink } from '../lib/sink.js';
import { spread } from '../lib/stats.js';
import { benchHandlerEnv } from './handler-throughput.js';

interface ChildResult {
  mode: 'baseline' | 'handle';
  atStart: number;
  afterImport: number;
  afterEvent: number;
  peak: number;
  failures: number;
}

export const GOAL_BYTES = 128 * 1024 * 1024;
const SMALL_YOUNG_GENERATION = '--max-semi-space-size=4';

export async function peakRss(rounds = 5): Promise<GoalResult> {
  const sink = await startSink();
  try {
    const handled: ChildResult[] = [];
    const baseline: ChildResult[] = [];
    // A smaller young generation: Node 20 sizes it from the machine's memory (16 MB semi-spaces here), while a
    // 512 MB function needs far less; NODE_OPTIONS in the function's environment would set it.
    const smallYoung: ChildResult[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const mode of round % 2 === 0 ? ['handle', 'baseline'] : ['baseline', 'handle']) {
        const result = await runChild<ChildResult>('bench/goals/peak-rss-child.ts', {
          env: { ...benchHandlerEnv(sink.url), BENCH_RSS_MODE: mode },
        });
        (mode === 'handle' ? handled : baseline).push(result);
      }
      smallYoung.push(
        await runChild<ChildResult>('bench/goals/peak-rss-child.ts', {
          env: { ...benchHandlerEnv(sink.url), BENCH_RSS_MODE: 'handle' },
          nodeArgs: [SMALL_YOUNG_GENERATION],
        }),
      );
    }
    const peak = spread(handled.map((r) => r.peak));
    const base = spread(baseline.map((r) => r.peak));
    const worst = peak.max;
    const failures = handled.reduce((n, r) => n + r.failures, 0);
    const first = handled[0]!;
    return {
      id: 5,
      title: 'Peak RSS handling 10,000 messages × 10 samples',
      figure: `${mb(peak.median)} peak (worst ${mb(worst)})`,
      goal: `≤ ${mb(GOAL_BYTES)}`,
      pass: worst <= GOAL_BYTES && failures === 0,
      details: [
        `peak maxRSS with handling: median ${mb(peak.median)}, min ${mb(peak.min)}, max ${mb(peak.max)} (n=${peak.n} fresh processes)`,
        `baseline maxRSS (node + bundle imported + the event built, not handled): median ${mb(base.median)} (n=${base.n}); the handler adds ${mb(peak.median - base.median)}`,
        `inside one handling process: ${mb(first.atStart)} at start, ${mb(first.afterImport)} after importing the bundle, ${mb(first.afterEvent)} with the event built, ${mb(first.peak)} after handling`,
        `with \`${SMALL_YOUNG_GENERATION}\` (a NODE_OPTIONS the function could be given; not what the stack deploys today): median ${mb(spread(smallYoung.map((r) => r.peak)).median)}, max ${mb(spread(smallYoung.map((r) => r.peak)).max)} (n=${smallYoung.length})`,
        `batch item failures: ${failures}`,
      ],
    };
  } finally {
    await sink.close();
  }
}
