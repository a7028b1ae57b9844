// Goal 3: native snappy vs snappyjs at the request sizes the bridge emits; the figure chooses.
import { runChild } from '../lib/child.js';
import { kb, type GoalResult } from '../lib/goal.js';
import { formatSpread, ratios, spread } from '../lib/stats.js';

interface CaseResult {
  name: string;
  requests: number;
  minBytes: number;
  maxBytes: number;
  totalBytes: number;
  repeat: number;
  nativeBytes: number;
  jsBytes: number;
  times: { wall: Record<'native' | 'snappyjs', number[]>; cpu: Record<'native' | 'snappyjs', number[]> };
}

export async function snappyChoice(rounds = 15): Promise<GoalResult> {
  const cases = await runChild<CaseResult[]>('bench/goals/snappy-child.ts', {
    env: { BENCH_ROUNDS: String(rounds) },
  });
  const details: string[] = [];
  const speedUps: number[] = [];
  for (const c of cases) {
    const { cpu } = c.times;
    const ratio = ratios(cpu.snappyjs, cpu.native);
    speedUps.push(ratio.median);
    const mbps = (ms: number): string => `${((c.totalBytes / 1e6 / ms) * 1000).toFixed(0)} MB/s`;
    details.push(
      `${c.name}: ${c.requests} request(s) of ${kb(c.minBytes)}–${kb(c.maxBytes)} protobuf; native is ${formatSpread(ratio)} times as fast as snappyjs by CPU time ` +
        `(native ${mbps(spread(cpu.native).median)}, snappyjs ${mbps(spread(cpu.snappyjs).median)}; compressed to ${((c.nativeBytes / c.totalBytes) * 100).toFixed(0)}% vs ${((c.jsBytes / c.totalBytes) * 100).toFixed(0)}%)`,
    );
  }
  // The bulk of the bytes travels in the large requests of big batches; the small case is a quiet queue.
  const faster = (i: number): string => ((speedUps[i] ?? 0) >= 1 ? 'native snappy' : 'snappyjs');
  const bulk = [faster(0), faster(1)];
  const choice =
    bulk[0] === bulk[1]
      ? `${bulk[0]} (faster at the large requests of full batches, which carry nearly all bytes; small requests: ${faster(2)})`
      : `undecided: the two large-batch cases disagree (${bulk.join(' vs ')}); run again on a quieter machine`;
  details.push(`choice by the figure: ${choice}`);
  return {
    id: '3',
    title: 'Native snappy vs snappyjs at the bridge’s request sizes',
    figure: `native ${speedUps.map((s) => `${s.toFixed(1)}x`).join(' / ')} snappyjs speed`,
    goal: 'chosen by the figure',
    pass: undefined,
    details,
  };
}
