// One device cannot stall the bridge: CPU per sample of one Report with 10,000 metrics against the same number
// of samples sent as 3-metric Reports (3,334 messages), through the BUILT bundle (dist/ingest/index.mjs) into a
// sink receiver on loopback. Both run in alternating rounds in one process; the figure is the ratio of CPU per
// sample, big / small, with its spread: near 1 means work per message is linear in its size.
// Run on the Lambda runtime's Node: npm run build && $(node scripts/runtime-node.mjs) node_modules/tsx/dist/cli.mjs bench/dos.bench.ts [rounds]
import type { SQSRecord } from 'aws-lambda';
import { lambdaContext, loadBundle, sqsEvent, sqsRecord } from '../test/ingest/harness.js';
import { startSink } from './lib/sink.js';
import { formatSpread, spread } from './lib/stats.js';

const rounds = Number(process.argv[2] ?? 7);
const BIG = 10_000;
const SMALL = 3;
const SMALL_MESSAGES = Math.ceil(BIG / SMALL);

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
  const bigPerSample: number[] = [];
  const smallPerSample: number[] = [];
  const ratios: number[] = [];
  // Round 0 warms the JIT and the series cache; it is not counted.
  for (let round = 0; round <= rounds; round++) {
    const { big, small } = batches(round);
    const order = round % 2 === 0 ? ['big', 'small'] : ['small', 'big'];
    const spent: Record<string, number> = {};
    for (const name of order) spent[name] = await run(name === 'big' ? big : small);
    if (round === 0) continue;
    const b = (spent.big! * 1000) / BIG;
    const s = (spent.small! * 1000) / (SMALL_MESSAGES * SMALL);
    bigPerSample.push(b);
    smallPerSample.push(s);
    ratios.push(b / s);
  }
  console.log(`node ${process.version}, ${rounds} rounds after one warm-up round, sink receiver on loopback`);
  console.log(
    `1 Report × ${BIG} metrics:        ${formatSpread(spread(bigPerSample), 2, ' µs')} CPU per sample`,
  );
  console.log(
    `${SMALL_MESSAGES} Reports × ${SMALL} metrics:    ${formatSpread(spread(smallPerSample), 2, ' µs')} CPU per sample`,
  );
  console.log(`CPU per sample, big / small: ${formatSpread(spread(ratios), 2)}`);
} finally {
  await sink.close();
}
