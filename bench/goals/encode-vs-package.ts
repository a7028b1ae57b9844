// Goal 2: encode + compress of 100,000 samples, the bridge vs the npm package prometheus-remote-write.
import { runChild } from '../lib/child.js';
import type { GoalResult } from '../lib/goal.js';
import { formatSpread, ratios, spread } from '../lib/stats.js';

type Times = Record<'bridge' | 'bridge + planning' | 'prometheus-remote-write', number[]>;

interface ChildResult {
  times: { wall: Times; cpu: Times };
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
  const { wall, cpu } = r.times;
  // CPU time decides (see RoundTimes.cpu); wall time is shown beside it.
  const ratio = ratios(cpu['prometheus-remote-write'], cpu.bridge);
  const wallRatio = ratios(wall['prometheus-remote-write'], wall.bridge);
  const bridge = spread(cpu.bridge);
  const pkg = spread(cpu['prometheus-remote-write']);
  const withPlanning = ratios(cpu['prometheus-remote-write'], cpu['bridge + planning']);
  const rate = (ms: number): string => `${(((r.samples / ms) * 1000) / 1e6).toFixed(2)} M samples/s`;
  return {
    id: '2',
    title: 'Encode + compress 100,000 samples vs prometheus-remote-write',
    figure: `${ratio.median.toFixed(1)}x faster`,
    goal: `≥ ${GOAL}x`,
    pass: ratio.median >= GOAL,
    details: [
      `speed-up (package CPU ms / bridge CPU ms, per round): ${formatSpread(ratio, 1)}; by wall time: ${formatSpread(wallRatio, 1)}`,
      `bridge (the ${r.requests} requests planned from these series by the default limits, each encoded by encode.ts and compressed by native snappy straight from the encoder buffer, as the handler does): ${formatSpread(bridge, 2, ' ms')} CPU = ${rate(bridge.median)}, ${r.bridgeBytes} bytes compressed`,
      `prometheus-remote-write 0.5.1 (its mapping, serialize = protobufjs verify + encode, its snappyjs 0.6.1): ${formatSpread(pkg, 1, ' ms')} CPU = ${rate(pkg.median)}, ${r.packageBytes} bytes compressed`,
      `counting the planning too (labels validated and sorted from records, series built, requests split): ${formatSpread(spread(cpu['bridge + planning']), 1, ' ms')} CPU, ${formatSpread(withPlanning, 1)} times as fast as the package`,
      `${r.series} series × ${r.samples / r.series} samples, 4 labels + __name__`,
    ],
  };
}
