// One device cannot stall the bridge: CPU per sample of one Report with 10,000 metrics against the same number
// of samples sent as 3-metric Reports (3,334 messages), through the BUILT bundle (dist/ingest/index.mjs) into a
// sink receiver on loopback. Both run in alternating rounds in one process; the figure is the ratio of CPU per
// sample, big / small, with its spread: near 1 means work per message is linear in its size.
// Run on the Lambda runtime's Node: npm run build && $(node scripts/runtime-node.mjs) node_modules/tsx/dist/cli.mjs bench/dos.bench.ts [rounds]
// `npm run bench` can run it as a goal through dosGoal().
import type { SQSRecord } from 'aws-lambda';
import { lambdaContext, loadBundle, sqsEvent, sqsRecord } from '../test/ingest/harness.js';
import { pathToFileURL } from 'node:url';
import type { GoalResult } from './lib/goal.js';
import { startSink } from './lib/sink.js';
import { formatSpread, spread } from './lib/stats.js';

const BIG = 10_000;
const SMALL = 3;
const SMALL_MESSAGES = Math.ceil(BIG / SMALL);
/** "Within a small factor": what the goal allows. */
const MAX_RATIO = 3;

function report(device: string, metrics: number, timestampMs: number, round: number): string {
  const fields: string[] = [];
  for (let i = 0; i < metrics; i++) fields.push(`"metric_${i}":${(round * 7 + i) % 1000}.5`);
  return `{"labels":{"device":"${device}"},"timestamp":${timestampMs},"metrics":{${fields.join(',')}}}`;
}

/** One batch per candidate, with timestamps that rise from round to round (each round writes new samples). */
function batches(round: number): { big: SQSRecord[]; small: SQSRecord[] } {
  const now = Date.now();
  const timestampMs = now - 60_000 + round;
  const big = [sqsRecord(report('big', BIG, timestampMs, round), { sentTimestampMs: now })];
  const small: SQSRecord[] = [];
  for (let m = 0; m < SMALL_MESSAGES; m++)
    small.push(sqsRecord(report(`small-${m}`, SMALL, timestampMs, round), { sentTimestampMs: now }));
  return { big, small };
}

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

export interface DosFigures {
  /** CPU µs per sample of each round, big report and small reports, and their ratio big / small. */
  readonly big: number[];
  readonly small: number[];
  readonly ratios: number[];
}

/** Runs the two candidates in alternating rounds through the built bundle; round 0 only warms up. */
export async function measureDos(rounds: number): Promise<DosFigures> {
  const sink = await startSink();
  try {
    const handler = await loadBundle({ REMOTE_WRITE_URL: sink.url });
    const run = async (records: SQSRecord[]): Promise<number> => {
      const started = cpuMs();
      const response = await handler(sqsEvent(records), lambdaContext(600_000));
      const spent = cpuMs() - started;
      if (response.batchItemFailures.length !== 0) throw new Error('unexpected batch item failures');
      return spent;
    };
    const figures: DosFigures = { big: [], small: [], ratios: [] };
    for (let round = 0; round <= rounds; round++) {
      const { big, small } = batches(round);
      const order = round % 2 === 0 ? ['big', 'small'] : ['small', 'big'];
      const spent: Record<string, number> = {};
      for (const name of order) spent[name] = await run(name === 'big' ? big : small);
      if (round === 0) continue;
      const b = (spent.big! * 1000) / BIG;
      const s = (spent.small! * 1000) / (SMALL_MESSAGES * SMALL);
      figures.big.push(b);
      figures.small.push(s);
      figures.ratios.push(b / s);
    }
    return figures;
  } finally {
    await sink.close();
  }
}

/** The figure as a goal of `npm run bench`: a small factor means work per message is linear in its size. */
export async function dosGoal(rounds = 7): Promise<GoalResult> {
  const figures = await measureDos(rounds);
  const ratio = spread(figures.ratios);
  return {
    id: '7',
    title: `CPU per sample: one Report of ${BIG} metrics vs ${SMALL}-metric Reports`,
    figure: `${ratio.median.toFixed(2)}x`,
    goal: `at most ${MAX_RATIO}x (work per message linear in its size)`,
    pass: ratio.median <= MAX_RATIO,
    details: [
      `1 Report × ${BIG} metrics: ${formatSpread(spread(figures.big), 2, ' µs')} CPU per sample`,
      `${SMALL_MESSAGES} Reports × ${SMALL} metrics: ${formatSpread(spread(figures.small), 2, ' µs')} CPU per sample`,
      `ratio big / small: ${formatSpread(ratio, 2)}`,
    ],
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rounds = Number(process.argv[2] ?? 7);
  const result = await dosGoal(rounds);
  console.log(`node ${process.version}, ${rounds} rounds after one warm-up round, sink receiver on loopback`);
  for (const line of result.details) console.log(line);
  console.log(`goal: ${result.goal}: ${result.pass === true ? 'PASS' : 'FAIL'}`);
}
