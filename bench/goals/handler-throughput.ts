// Goal 1: handler throughput on a 10,000-message batch of 3-metric reports vs JSON.parse of the same bodies.
import { runChild, handlerBundle } from '../lib/child.js';
import { benchNodeVersion } from '../lib/machine.js';
import type { GoalResult } from '../lib/goal.js';
import { startSink } from '../lib/sink.js';
import { formatSpread, ratios, spread } from '../lib/stats.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routesFileText } from '../../functions/routes/load.js';
import { INGEST_NODE_OPTIONS } from '../../infra/ingest-node-options.js';
import { BENCH_READINGS_ROUTE } from '../lib/workload.js';

type Times = Record<'handler' | 'JSON.parse' | 'JSON.parse + encode + compress', number[]>;

interface ChildResult {
  times: { wall: Times; cpu: Times };
  failures: number;
  messages: number;
  samples: number;
  bodyBytes: number;
  /** CPU time of the first handler call in the process. */
  firstBatchMs: number;
}

export const GOAL = 0.5;

/** The handler's environment for the benchmarks: the stack's defaults, pointed at a loopback receiver. */
export function benchHandlerEnv(remoteWriteUrl: string): Record<string, string> {
  return {
    BENCH_HANDLER_BUNDLE: handlerBundle,
    REMOTE_WRITE_URL: remoteWriteUrl,
    REMOTE_WRITE_AUTH: 'none',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    POWERTOOLS_SERVICE_NAME: 'iot-prometheus-bridge',
    AWS_REGION: 'us-east-1',
  };
}

/**
 * Goal 1r: the same fleet and batch published as flat readings through a readings route (envelope bodies, the
 * routes file as the stack's layer would provide it), against JSON.parse of the envelope and its payload.
 */
export async function readingsRouteThroughput(rounds = 15): Promise<GoalResult> {
  return withReadingsRoutesFile(async (routesFile) => {
    const result = await handlerThroughput(rounds, { BENCH_WORKLOAD: 'readings', ROUTES_FILE: routesFile });
    return {
      ...result,
      id: '1r',
      title:
        'Handler throughput on a readings route vs JSON.parse of envelope and payload (10,000 messages × 3 readings)',
      goal: 'reported (goal 1 is for the default route); every message written',
      // A figure from messages the route refused would measure nothing: any batch item failure fails it.
      pass: result.details.some((line) => line.startsWith('batch item failures over all rounds: 0;'))
        ? undefined
        : false,
    };
  });
}

/** Runs `run` with a routes file holding the readings route, as the stack's layer would provide it. */
export async function withReadingsRoutesFile<T>(run: (routesFile: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'iotprom-bench-routes-'));
  try {
    const routesFile = join(dir, 'routes.json');
    writeFileSync(routesFile, routesFileText([BENCH_READINGS_ROUTE]));
    return await run(routesFile);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function handlerThroughput(
  rounds = 15,
  workloadEnv: Record<string, string> = {},
): Promise<GoalResult> {
  const sink = await startSink();
  try {
    const result = await runChild<ChildResult>('bench/goals/handler-throughput-child.ts', {
      env: { ...benchHandlerEnv(sink.url), ...workloadEnv, BENCH_ROUNDS: String(rounds) },
      // As deployed (the same process also times JSON.parse, so both sides run under these options).
      nodeArgs: [INGEST_NODE_OPTIONS],
    });
    const { wall, cpu } = result.times;
    const handler = spread(cpu.handler);
    const parse = spread(cpu['JSON.parse']);
    // Throughput ratio = parse time / handler time, taken per round; CPU time decides (see RoundTimes.cpu).
    const ratio = ratios(cpu['JSON.parse'], cpu.handler);
    const wallRatio = ratios(wall['JSON.parse'], wall.handler);
    const ceiling = ratios(cpu['JSON.parse'], cpu['JSON.parse + encode + compress']);
    const perSecond = (ms: number, n: number): string =>
      `${Math.round((n / ms) * 1000).toLocaleString('en')}/s`;
    return {
      id: '1',
      title: 'Handler throughput vs JSON.parse (10,000 messages × 3 metrics)',
      figure: `${ratio.median.toFixed(2)}x JSON.parse speed`,
      goal: `≥ ${GOAL}x`,
      pass: ratio.median >= GOAL && result.failures === 0,
      details: [
        `throughput ratio (JSON.parse CPU ms / handler CPU ms, per round): ${formatSpread(ratio)}; by wall time: ${formatSpread(wallRatio)}`,
        `handler: ${formatSpread(handler, 1, ' ms')} CPU per batch = ${perSecond(handler.median, result.messages)} messages, ${perSecond(handler.median, result.samples)} samples; wall ${formatSpread(spread(wall.handler), 1, ' ms')}`,
        `JSON.parse alone: ${formatSpread(parse, 1, ' ms')} CPU per batch = ${perSecond(parse.median, result.messages)} messages; wall ${formatSpread(spread(wall['JSON.parse']), 1, ' ms')}`,
        `first batch after the import, with the JIT and the normaliser's caches cold (what the first invocation after a cold start pays): ${result.firstBatchMs.toFixed(1)} ms CPU; the rounds above run warm, as a warm Lambda does batch after batch for one fleet`,
        `for reference, JSON.parse of the bodies plus encoding and compressing the planned requests, nothing else: ${formatSpread(ceiling)} of JSON.parse speed (${formatSpread(spread(cpu['JSON.parse + encode + compress']), 1, ' ms')} CPU). A handler built on JSON.parse could not beat that; this one reads plain Sample/Report bodies with functions/pipeline/decode/object-scanner.ts instead`,
        `batch: ${result.messages} messages from a fleet of 1,000 devices, ${result.samples} samples, ${result.bodyBytes} bytes of bodies, on ${benchNodeVersion}; receiver: 204 sink in the parent process on 127.0.0.1 (${sink.requests()} requests, ${sink.bytes()} bytes received)`,
        `batch item failures over all rounds: ${result.failures}; handler logs at INFO and emits EMF metrics, as deployed`,
      ],
    };
  } finally {
    await sink.close();
  }
}
