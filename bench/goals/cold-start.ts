// Goals 4, 4a, 4b and 4c: cold start, measured side by side in one run. Each round spawns, in alternating order,
// a bare `node` start and four cold starts of dist/ingest/index.mjs: configured without authentication (goal 4),
// configured as the stack deploys it for Amazon Managed Service for Prometheus (4a: SigV4, an AMP URL, the
// execution role's credentials in the environment as Lambda provides them, instance metadata off), and that
// same configuration handed its first batch of 1,000 (4b) or 10,000 (4c) messages, which it signs and delivers
// over TLS to a loopback receiver. A sixth child, 4b's floor, makes one small HTTPS request from a bare `node`.
// Every child reports its own CPU time (user + system) at exit: unlike wall time, that does not grow while the
// process waits for a core that neighbours hold.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { INGEST_NODE_OPTIONS } from '../../infra/ingest-node-options.js';
import { benchNode, compileChild, handlerBundle, projectRoot } from '../lib/child.js';
import { kb, type GoalResult } from '../lib/goal.js';
import { startHttpsSink } from '../lib/https-sink.js';
import { formatSpread, spread, type Spread } from '../lib/stats.js';
import { reportBodies, sqsEvent } from '../lib/workload.js';

export const GOAL_IMPORT_MS = 50;
export const GOAL_BUNDLE_BYTES = 500 * 1024;
export const GOAL_AMP_IMPORT_MS = 35;
export const GOAL_FIRST_BATCH_RATIO = 1.0;
/** The stack's default batch size, and the fleet the first batch comes from. */
export const FIRST_BATCH = { messages: 1000, devices: 250 };
const LARGE_FIRST_BATCH = { messages: 10_000, devices: 250 };

function folderBytes(path: string): number {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    total += entry.isDirectory() ? folderBytes(full) : statSync(full).size;
  }
  return total;
}

function bundleBytes(): number {
  // The bundle is index.mjs plus the chunks it may import (the SDK clients are split out); all of them count.
  const chunksDir = join(projectRoot, 'dist', 'ingest', 'chunks');
  const chunkBytes = existsSync(chunksDir)
    ? readdirSync(chunksDir)
        .filter((name) => name.endsWith('.mjs'))
        .reduce((sum, name) => sum + statSync(join(chunksDir, name)).size, 0)
    : 0;
  return statSync(handlerBundle).size + chunkBytes;
}

/** Runs `node <args>` on the runtime's Node and returns the numbers the child wrote to stderr. */
function spawnForNumbers(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(benchNode, [INGEST_NODE_OPTIONS, ...args], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const numbers = stderr.trim().split(/\s+/).map(Number);
      if (code !== 0 || numbers.some(Number.isNaN))
        reject(new Error(`node ${args.join(' ')} exited with ${code}: ${stderr}`));
      else resolve(numbers);
    });
  });
}

export function eventFile(name: string, shape: { messages: number; devices: number }): string {
  const dir = join(projectRoot, '.tmp', 'bench-run');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  const bodies = reportBodies({
    ...shape,
    metricsPerMessage: 3,
    startMs: Date.now() - 10 * 60_000,
    intervalMs: 10_000,
  });
  writeFileSync(file, JSON.stringify(sqsEvent(bodies)));
  return file;
}

interface Environments {
  none: NodeJS.ProcessEnv;
  amp: NodeJS.ProcessEnv;
  delivering: NodeJS.ProcessEnv;
}

export function environments(sinkUrl: string, caFile: string): Environments {
  // What Lambda and the stack set for every configuration; configuration is read at import (cold start).
  const common = {
    PATH: process.env['PATH'] ?? '',
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    POWERTOOLS_SERVICE_NAME: 'iot-prometheus-bridge',
    NODE_EXTRA_CA_CERTS: caFile,
  };
  const amp = {
    ...common,
    REMOTE_WRITE_URL:
      'https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-cold-start/api/v1/remote_write',
    REMOTE_WRITE_AUTH: 'sigv4',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: 'AKIDCOLDSTARTBENCH',
    AWS_SECRET_ACCESS_KEY: 'cold-start-bench',
    AWS_SESSION_TOKEN: 'cold-start-bench-session',
    BENCH_HANDLER_BUNDLE: handlerBundle,
  };
  return {
    none: { ...common, REMOTE_WRITE_URL: 'http://127.0.0.1:9/api/v1/write', REMOTE_WRITE_AUTH: 'none' },
    amp,
    // The same, delivering to the loopback receiver (the AMP host cannot be reached from here), which the
    // function allows for SigV4 only when told to.
    delivering: { ...amp, REMOTE_WRITE_URL: sinkUrl, REMOTE_WRITE_SIGV4_ANY_HOST: 'true' },
  };
}

/** CPU of one fresh process handed its first batch (cold-start-child.ts): the handler call, and the whole process. */
export interface FirstBatchCpu {
  readonly handlerMs: number;
  /** Start, import and handler call, without reading the event file (Lambda's runtime reads the event). */
  readonly processMs: number;
}

/** Runs goal 4b's child once in `env`, which names the bundle (BENCH_HANDLER_BUNDLE) and the event file. */
export async function firstBatchCpu(child: string, env: NodeJS.ProcessEnv): Promise<FirstBatchCpu> {
  const [eventMs, importedMs, totalMs] = await spawnForNumbers([child], env);
  return { handlerMs: totalMs! - importedMs!, processMs: totalMs! - eventMs! };
}

type Series = 'bare' | 'none' | 'amp' | 'first' | 'firstLarge' | 'httpsFloor';

/**
 * One 1 KB POST over HTTPS to the loopback receiver from an otherwise bare `node`: loading node:https, a secure
 * context and a TLS handshake, which any function that delivers its first batch over TLS pays. 4b's floor.
 */
function httpsFloorScript(url: string, cpuReport: string): string {
  return `const { request } = process.getBuiltinModule('node:https');
await new Promise((resolve, reject) => {
  const req = request(${JSON.stringify(url)}, { method: 'POST' }, (res) => res.resume().on('end', resolve));
  req.on('error', reject).end(Buffer.alloc(1024));
});
${cpuReport}
process.exit(0);`;
}

async function measureRounds(
  rounds: number,
  env: Environments,
  sinkUrl: string,
): Promise<Record<Series | 'batchFirst' | 'batchFirstLarge', number[]>> {
  const cpuReport =
    'const u = process.cpuUsage(); process.stderr.write(" " + String((u.user + u.system) / 1000));';
  const importScript = `await import(${JSON.stringify(pathToFileURL(handlerBundle).href)}); ${cpuReport}`;
  const child = await compileChild('bench/goals/cold-start-child.ts');
  const firstFile = eventFile('cold-start-first', FIRST_BATCH);
  const largeFile = eventFile('cold-start-first-large', LARGE_FIRST_BATCH);
  const floorScript = httpsFloorScript(sinkUrl, cpuReport);
  const out: Record<Series, number[]> = {
    bare: [],
    none: [],
    amp: [],
    first: [],
    firstLarge: [],
    httpsFloor: [],
  };
  const batchOnly: Record<'first' | 'firstLarge', number[]> = { first: [], firstLarge: [] };
  const batch = async (file: string): Promise<number> => {
    const cpu = await firstBatchCpu(child, { ...env.delivering, BENCH_EVENT_FILE: file });
    batchOnly[file === firstFile ? 'first' : 'firstLarge'].push(cpu.handlerMs);
    return cpu.processMs;
  };
  const runs: Record<Series, () => Promise<number>> = {
    bare: async () => (await spawnForNumbers(['-e', cpuReport], env.amp))[0]!,
    none: async () => (await spawnForNumbers(['--input-type=module', '-e', importScript], env.none))[0]!,
    amp: async () => (await spawnForNumbers(['--input-type=module', '-e', importScript], env.amp))[0]!,
    first: () => batch(firstFile),
    firstLarge: () => batch(largeFile),
    httpsFloor: async () =>
      (await spawnForNumbers(['--input-type=module', '-e', floorScript], env.delivering))[0]!,
  };
  const names = Object.keys(runs) as Series[];
  // One untimed round warms the file cache for every candidate.
  for (let round = -1; round < rounds; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      const ms = await runs[name]();
      if (round >= 0) out[name].push(ms);
    }
  }
  // The untimed round's batch figures go too.
  batchOnly.first.shift();
  batchOnly.firstLarge.shift();
  return { ...out, batchFirst: batchOnly.first, batchFirstLarge: batchOnly.firstLarge };
}

const over = (a: readonly number[], bare: readonly number[]): Spread =>
  spread(a.map((ms, i) => ms - bare[i]!));
const relative = (a: readonly number[], bare: readonly number[]): Spread =>
  spread(a.map((ms, i) => (ms - bare[i]!) / bare[i]!));

export async function coldStart(rounds = 20): Promise<GoalResult[]> {
  const sink = await startHttpsSink();
  let times: Record<Series | 'batchFirst' | 'batchFirstLarge', number[]>;
  try {
    times = await measureRounds(rounds, environments(sink.url, sink.caFile), sink.url);
  } finally {
    await sink.close();
  }
  const bytes = bundleBytes();
  const none = over(times.none, times.bare);
  const amp = over(times.amp, times.bare);
  const first = relative(times.first, times.bare);
  const firstLarge = relative(times.firstLarge, times.bare);
  const floor = relative(times.httpsFloor, times.bare);
  const bare = spread(times.bare);
  const runtime = `on ${benchNode.includes('node-v') ? 'the runtime’s Node' : 'RUNTIME_NODE'} with NODE_OPTIONS \`${INGEST_NODE_OPTIONS}\``;
  const bareLine = `a bare start (\`node -e\`, same options and environment) took ${formatSpread(bare, 1, ' ms')} CPU`;
  const ms = (s: Spread): string => formatSpread(s, 1, ' ms');
  return [
    {
      id: '4',
      title: 'Cold start without authentication: bundle size and import CPU',
      figure: `+${none.median.toFixed(1)} ms CPU import, ${kb(bytes)} bundle`,
      goal: `≤ ${GOAL_IMPORT_MS} ms; ≤ ${kb(GOAL_BUNDLE_BYTES)}`,
      pass: none.median <= GOAL_IMPORT_MS && bytes <= GOAL_BUNDLE_BYTES,
      details: [
        `import overhead in CPU time (child's user + system CPU at exit, importing minus bare, per round; \`REMOTE_WRITE_AUTH=none\`, a plain-http URL): ${ms(none)}; ${bareLine}, ${runtime}`,
        `dist/ingest/index.mjs and its chunks: ${bytes} bytes (${kb(bytes)}; index.mjs alone ${kb(statSync(handlerBundle).size)}); beside it dist/ingest/node_modules (the snappy native binary, loaded directly): ${kb(folderBytes(join(projectRoot, 'dist', 'ingest', 'node_modules')))}; the source map is not deployed in the count`,
      ],
    },
    {
      id: '4a',
      title: 'Cold start as deployed for AMP: import CPU',
      figure: `+${amp.median.toFixed(1)} ms CPU import`,
      goal: `≤ ${GOAL_AMP_IMPORT_MS} ms`,
      pass: amp.median <= GOAL_AMP_IMPORT_MS,
      details: [
        `import overhead in CPU time over a bare start, per round: ${ms(amp)}; ${bareLine}, ${runtime}`,
        'configuration: `REMOTE_WRITE_AUTH=sigv4`, an aps-workspaces.us-east-1.amazonaws.com URL, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN set as Lambda sets them, `AWS_EC2_METADATA_DISABLED=true`, AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512; nothing is sent',
      ],
    },
    {
      id: '4b',
      title: `Cold start as deployed plus the first ${FIRST_BATCH.messages.toLocaleString('en')}-message batch`,
      figure: `${first.median.toFixed(2)}x a bare start’s CPU, over it`,
      goal: `≤ ${GOAL_FIRST_BATCH_RATIO.toFixed(1)}x`,
      pass: first.median <= GOAL_FIRST_BATCH_RATIO,
      details: [
        `(import + first batch CPU − bare start CPU) / bare start CPU, per round: ${formatSpread(first)}; in ms over the bare start: ${ms(over(times.first, times.bare))}, of which the handler call itself (after the import): ${ms(spread(times.batchFirst))}; ${bareLine}, ${runtime}`,
        `workload: ${FIRST_BATCH.messages.toLocaleString('en')} report messages × 3 metrics from ${FIRST_BATCH.devices} devices (every label set new to the process), signed with SigV4 and delivered over TLS to a loopback HTTPS receiver whose certificate the child trusts through NODE_EXTRA_CA_CERTS; the CPU of reading the event file is taken off`,
        `the floor, in the same rounds: one 1 KB POST to the same receiver from an otherwise bare \`node\` (node:https, a secure context, a TLS handshake; no bundle, no signing, no planning) costs ${ms(over(times.httpsFloor, times.bare))} over a bare start, a multiple of it of ${formatSpread(floor)}: that much of the 1.0x 4b allows goes to the TLS request alone`,
      ],
    },
    {
      id: '4c',
      title: `Cold start as deployed plus a first ${LARGE_FIRST_BATCH.messages.toLocaleString('en')}-message batch`,
      figure: `${firstLarge.median.toFixed(2)}x a bare start’s CPU, over it`,
      goal: 'reported',
      pass: undefined,
      details: [
        `(import + first batch CPU − bare start CPU) / bare start CPU, per round: ${formatSpread(firstLarge)}; in ms over the bare start: ${ms(over(times.firstLarge, times.bare))}, of which the handler call itself: ${ms(spread(times.batchFirstLarge))}`,
        `workload: as 4b with ${LARGE_FIRST_BATCH.messages.toLocaleString('en')} messages from ${LARGE_FIRST_BATCH.devices} devices`,
      ],
    },
  ];
}
