// Goal 1b: the warm handler on 10,000-message batches of 3-metric reports from fleets of 1,000 to 1,000,000
// devices, against JSON.parse of the same bodies in the same process (one fresh process per fleet size).
// Goal 1rb (reported): the same fleets publishing flat readings through a readings route.
import { INGEST_NODE_OPTIONS } from '../../infra/ingest-node-options.js';
import { runChild } from '../lib/child.js';
import { benchNodeVersion } from '../lib/machine.js';
import type { GoalResult } from '../lib/goal.js';
import { startSink } from '../lib/sink.js';
import { formatSpread, ratios, spread } from '../lib/stats.js';
import { FLEET_BATCH_MESSAGES } from '../lib/workload.js';
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
 * Warm-up batches: at least 20, and enough to send the whole fleet three times, up to 40. A device's label set is
 * noted on its first pass, interned on its second (when the fleet fits) and read through a template from its
 * third; at 100,000 devices the cache also interns part of the fleet in its first pass, before it can tell how
 * many come back, and learns their templates when they return. After that the handler still settles for a while
 * (the JIT, the old generation's growth): at 16,000 devices a batch took 45–55 ms of CPU in batches 5–18, about
 * 37 ms in batches 19–30, and 20–40 ms after. Timing from batch 7 measured that transient (at 16,000 devices
 * 0.32x instead of 0.47x from batch 32; at 100,000 devices 0.30x from batch 12 instead of 0.37x from batch 32);
 * a warm function runs for hours.
 */
function warmupBatches(devices: number): number {
  return Math.min(40, Math.max(20, Math.ceil((3 * devices) / FLEET_BATCH_MESSAGES) + 2));
}

/** The environment of large-fleets-child.ts timing the handler bundle named by BENCH_HANDLER_BUNDLE. */
export function throughputChildEnv(sinkUrl: string, devices: number, rounds: number): Record<string, string> {
  return {
    ...benchHandlerEnv(sinkUrl),
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: FUNCTION_MEMORY_MB,
    BENCH_MODE: 'throughput',
    BENCH_DEVICES: String(devices),
    BENCH_WARMUP: String(warmupBatches(devices)),
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
      const r = await runChild<ChildResult>('bench/goals/large-fleets-child.ts', {
        env: { ...throughputChildEnv(sink.url, devices, rounds), ...workloadEnv },
        nodeArgs: [INGEST_NODE_OPTIONS],
      });
      const ratio = ratios(r.times.cpu['JSON.parse'], r.times.cpu.handler);
      medians.push(ratio.median);
      failures += r.failures;
      details.push(
        `${devices.toLocaleString('en')} devices: ${formatSpread(ratio)} of JSON.parse speed by CPU time; handler ${formatSpread(spread(r.times.cpu.handler), 1, ' ms')}, JSON.parse ${formatSpread(spread(r.times.cpu['JSON.parse']), 1, ' ms')} CPU per batch (${warmupBatches(devices)} warm-up batches, ${r.batchesHandled} built in all)`,
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
