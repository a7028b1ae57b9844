// Figures from noisy, shared machines: every comparison runs its candidates in alternating rounds (A, B, A, B…)
// so that a burst of load from a neighbour hits both, and reports medians with their spread instead of means.

export interface Spread {
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  const a = sorted[low]!;
  const b = sorted[high]!;
  return a + (b - a) * (position - low);
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    p25: quantile(sorted, 0.25),
    p75: quantile(sorted, 0.75),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    n: sorted.length,
  };
}

export type Candidate = () => unknown;

export interface InterleavedOptions {
  /** Untimed rounds first, so that both candidates are compiled and warm. */
  readonly warmupRounds: number;
  readonly rounds: number;
  /** Stop early once this much time has been spent on timed rounds (the round count is then smaller). */
  readonly maxMs?: number;
  /** Runs after every round, untimed (e.g. to prepare the next round's input). */
  readonly afterRound?: () => void;
}

/** Times of each candidate per round, in ms: index i of every array belongs to round i. */
export interface RoundTimes {
  /** Wall-clock time. */
  readonly wall: Record<string, number[]>;
  /**
   * CPU time of this process (user + system, all threads). On a shared machine a process waits for a core
   * whenever neighbours are busy; that waiting inflates wall time but not CPU time, so CPU time is what a
   * dedicated core (a Lambda's vCPU) would have needed.
   */
  readonly cpu: Record<string, number[]>;
}

/**
 * Runs the candidates in alternating order for each round, flipping which goes first every round, and returns
 * each candidate's wall and CPU times per round (so per-round ratios can be taken).
 */
export async function interleaved(
  candidates: Readonly<Record<string, Candidate>>,
  options: InterleavedOptions,
): Promise<RoundTimes> {
  const names = Object.keys(candidates);
  const wall: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const cpu: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < options.warmupRounds; round++)
    for (const name of names) await candidates[name]!();
  const started = performance.now();
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await candidates[name]!();
      wall[name]!.push(performance.now() - t0);
      const used = process.cpuUsage(cpu0);
      cpu[name]!.push((used.user + used.system) / 1000);
    }
    options.afterRound?.();
    if (options.maxMs !== undefined && round >= 4 && performance.now() - started > options.maxMs) break;
  }
  return { wall, cpu };
}

/** Per-round ratios numerator[i] / denominator[i]: the ratio of two candidates measured under the same load. */
export function ratios(numerator: readonly number[], denominator: readonly number[]): Spread {
  const values: number[] = [];
  for (let i = 0; i < Math.min(numerator.length, denominator.length); i++)
    values.push(numerator[i]! / denominator[i]!);
  return spread(values);
}

export function formatSpread(s: Spread, digits = 2, unit = ''): string {
  return `${s.median.toFixed(digits)}${unit} (IQR ${s.p25.toFixed(digits)}–${s.p75.toFixed(digits)}, n=${s.n})`;
}
