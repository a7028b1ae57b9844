// Goal 2: encode + compress of 100,000 samples, the bridge vs the npm package prometheus-remote-write.
import { runChild } from '../lib/child.js';
import type { GoalResult } from '../lib/goal.js';
import { formatSpread, ratios, spread } from '../lib/stats.js';

interface ChildResult {
  times: Record<'bridge' | 'prometheus-remote-write', number[]>;
  samples: number;
  series: number;
  bridgeBytes: number;
  packageBytes: number;
  requests: number;
}

export const GOAL = 20;

export async function encodeVsPackage(rounds = 15): Promise<GoalResult> {
  const r = await runChild<ChildResult>('bench/goals/encode-vs-package-child.ts', {
    env: { BENCH_ROUNDS: String(rounds) },
  });
  const ratio = ratios(r.times['prometheus-remote-write'], r.times.bridge);
  const bridge = spread(r.times.bridge);
  const pkg = spread(r.times['prometheus-remote-write']);
  const rate = (ms: number): string => `${(((r.samples / ms) * 1000) / 1e6).toFixed(2)} M samples/s`;
  return {
    id: 2,
    title: 'Encode + compress 100,000 samples vs prometheus-remote-write',
    figure: `${ratio.median.toFixed(1)}x faster`,
    goal: `≥ ${GOAL}x`,
    pass: ratio.median >= GOAL,
    details: [
      `speed-up (package ms / bridge ms, per round): ${formatSpread(ratio, 1)}`,
      `bridge (validate + sort labels, split into ${r.requests} requests by the default limits, encode.ts, native snappy): ${formatSpread(bridge, 2, ' ms')} = ${rate(bridge.median)}, ${r.bridgeBytes} bytes compressed`,
      `prometheus-remote-write 0.5.1 (its mapping, serialize = protobufjs verify + encode, its snappyjs 0.6.1): ${formatSpread(pkg, 1, ' ms')} = ${rate(pkg.median)}, ${r.packageBytes} bytes compressed`,
      `${r.series} series × ${r.samples / r.series} samples, 4 labels + __name__`,
    ],
  };
}
