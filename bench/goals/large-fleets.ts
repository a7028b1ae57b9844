// Goal 1b: the warm handler on 10,000-message batches of 3-metric reports from fleets of 1,000 to 1,000,000
// devices, against JSON.parse of the same bodies in the same process (three fresh processes per fleet size).
// Goal 1rb (reported): the same fleets publishing flat readings through a readings route.
import { INGEST_NODE_OPTIONS } from '../../infra/ingest-node-options.js';
import { runChild } from '../lib/child.js';
import { benchNodeVersion } from '../lib/machine.js';
import type { GoalResult } from '../lib/goal.js';
import { startSink } from '../lib/sink.js';
import { formatSpread, ratios, spread } from '../lib/stats.js';
import { benchHandlerEnv, withReadingsRoutesFile } from './handler-throughput.js';

export const GOAL = 0.4;
export const FLEETS = [1000, 16_000, 100_000, 1_000_000] as const;
/** As deployed by default; the handler sizes its caches from it. */
export const FUNCTION_MEMORY_MB = '512';

type Times = Record<'handler' | 'JSON.parse', number[]>;

interface ChildResult {
  devices: number;
  times: { wall: Times; cpu: Times };
  failures: number;
  batchesHandled: number;
}

/**
 * Warm-up batches: 40 at every fleet size, the handler's steady state (a warm function runs for hours). The caches
 * settle over about three passes of a fleet (a device's label set is noted on its first pass, interned on its
 * second when the fleet fits, read through a template from its third), which 40 batches give up to 100,000 devices;
 * a fleet of 1,000,000 is written one-off from its first batch. Node's HTTP client takes longer: a batch sends only
 * a few requests, so V8 optimises the client's functions late, and delivery costs more until it has. The figures
 * are in docs/performance.md.
 */
const WARMUP_BATCHES = 40;
/**
 * Fresh processes per fleet size, their rounds pooled: one process's figure moves with how V8 happened to compile
 * it (medians of single processes spread by ±0.05 at 100,000 devices), so the verdict rests on several.
 */
const PROCESSES = 3;

/** The environment of large-fleets-child.ts timing the handler bundle named by BENCH_HANDLER_BUNDLE. */
export function throughputChildEnv(sinkUrl: string, devices: number, rounds: number): Record<string, string> {
  return {
    ...benchHandlerEnv(sinkUrl),
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: FUNCTION_MEMORY_MB,
    BENCH_MODE: 'throughput',
    BENCH_DEVICES: String(devices),
    BENCH_WARMUP: String(WARMUP_BATCHES),
    BENCH_ROUNDS: String(rounds),
  };
}

/** Goal 1rb: goal 1b's fleets publishing flat readings through a readings route, against JSON.parse of the
 * envelope and its payload. Reported: routes decode with JSON.parse, which goal 1r measures at 1,000 devices. */
export function largeFleetsOnRoute(rounds = 9): Promise<GoalResult> {
  return withReadingsRoutesFile(async (routesFile) => {
    const result = await largeFleets(rounds, { BENCH_WORKLOAD: 'readings', ROUTES_FILE: routesFile });
    return {
      ...result,
      id: '1rb',
      title: 'Warm handler on a readings route vs JSON.parse of envelope and payload, large fleets',
      goal: 'reported (for a fleet that publishes its own JSON)',
      pass: result.details.some((line) => line.endsWith('batch item failures: 0')) ? undefined : false,
    };
  });
}

export async function largeFleets(rounds = 9, workloadEnv: Record<string, string> = {}): Promise<GoalResult> {
  const sink = await startSink();
  try {
    const details: string[] = [];
    const medians: number[] = [];
    let failures = 0;
    for (const devices of FLEETS) {
      const handler: number[] = [];
      const parse: number[] = [];
      const perProcess: string[] = [];
      let built = 0;
      for (let p = 0; p < PROCESSES; p++) {
        const r = await runChild<ChildResult>('bench/goals/large-fleets-child.ts', {
          env: { ...throughputChildEnv(sink.url, devices, rounds), ...workloadEnv },
          nodeArgs: [INGEST_NODE_OPTIONS],
        });
        handler.push(...r.times.cpu.handler);
        parse.push(...r.times.cpu['JSON.parse']);
        perProcess.push(ratios(r.times.cpu['JSON.parse'], r.times.cpu.handler).median.toFixed(2));
        failures += r.failures;
        built = r.batchesHandled;
      }
      const ratio = ratios(parse, handler);
      medians.push(ratio.median);
      details.push(
        `${devices.toLocaleString('en')} devices: ${formatSpread(ratio)} of JSON.parse speed by CPU time (${PROCESSES} processes, ${rounds} rounds each; their medians ${perProcess.join(' / ')}); handler ${formatSpread(spread(handler), 1, ' ms')}, JSON.parse ${formatSpread(spread(parse), 1, ' ms')} CPU per batch (${WARMUP_BATCHES} warm-up batches, ${built} built in all per process)`,
      );
    }
    const worst = Math.min(...medians);
    details.push(
      `workload: 10,000 ${workloadEnv['BENCH_WORKLOAD'] === 'readings' ? 'readings messages (envelope with a base64 payload of 3 readings, site and device from the topic, through the readings route)' : 'report messages × 3 metrics (labels device and site)'} per batch, message i of the cycle from device i mod fleet size, a new batch every round, on ${benchNodeVersion}; the handler as in goal 1 (\`REMOTE_WRITE_AUTH=none\`, loopback 204 sink, INFO logs and EMF) with AWS_LAMBDA_FUNCTION_MEMORY_SIZE=${FUNCTION_MEMORY_MB} and NODE_OPTIONS \`${INGEST_NODE_OPTIONS}\`; batch item failures: ${failures}`,
    );
    return {
      id: '1b',
      title: 'Warm handler vs JSON.parse on large fleets (1,000 to 1,000,000 devices)',
      figure: `${medians.map((m) => m.toFixed(2)).join(' / ')}x JSON.parse speed`,
      goal: `≥ ${GOAL}x at every size`,
      pass: worst >= GOAL && failures === 0,
      details,
    };
  } finally {
    await sink.close();
  }
}
