// Goals 1b, 1rb and 5b, in a fresh process: the BUILT handler, warm, on 10,000-message batches of 3-metric reports
// (or, with BENCH_WORKLOAD=readings, flat readings through a route) whose devices cycle through a fleet of
// BENCH_DEVICES devices, as SQS spreads a fleet over every execution
// environment. Batch k holds messages k*10,000 … (k+1)*10,000−1 of the cycle, so with a fleet larger than a batch
// every batch brings devices the previous ones did not.
//   BENCH_MODE=throughput: warm-up batches, then rounds alternating the handler on the next batch with JSON.parse
//     of the same bodies (goal 1b).
//   BENCH_MODE=rss: BENCH_BATCHES batches in a row, then the process's peak RSS (goal 5b).
import { pathToFileURL } from 'node:url';
import { sendToParent } from '../lib/parent-channel.js';
import { interleaved } from '../lib/stats.js';
import {
  FLEET_BATCH_MESSAGES as BATCH_MESSAGES,
  lambdaContext,
  readingsEnvelopeBody,
  reportMessage,
  sqsEvent,
  type ReportWorkload,
} from '../lib/workload.js';

type Handler = (
  event: unknown,
  context: unknown,
) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>;

const devices = Number(process.env['BENCH_DEVICES'] ?? '1000');
// `readings`: the fleet publishes flat readings through a readings route (the parent sets ROUTES_FILE).
const readings = process.env['BENCH_WORKLOAD'] === 'readings';
const mode = process.env['BENCH_MODE'] ?? 'throughput';
const { handler } = (await import(pathToFileURL(process.env['BENCH_HANDLER_BUNDLE']!).href)) as {
  handler: Handler;
};

const workload: ReportWorkload = {
  messages: BATCH_MESSAGES,
  metricsPerMessage: 3,
  devices,
  startMs: Date.now() - 30 * 60_000,
  intervalMs: 1000,
};
let nextBatch = 0;

function batchBodies(): string[] {
  const first = nextBatch++ * BATCH_MESSAGES;
  const bodies: string[] = [];
  for (let i = first; i < first + BATCH_MESSAGES; i++)
    bodies.push(readings ? readingsEnvelopeBody(workload, i) : reportMessage(workload, i).body);
  return bodies;
}

/** JSON.parse of what a body holds: for a readings envelope, the envelope and the payload inside it. */
function parsedTimestamp(body: string): number {
  if (!readings) return (JSON.parse(body) as { timestamp: number }).timestamp;
  const envelope = JSON.parse(body) as { payload: string };
  return (JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as { ts: number }).ts;
}

let failures = 0;
let sink = 0;

async function handle(bodies: readonly string[]): Promise<void> {
  failures += (await handler(sqsEvent(bodies), lambdaContext())).batchItemFailures.length;
}

if (mode === 'rss') {
  const batches = Number(process.env['BENCH_BATCHES'] ?? '10');
  for (let b = 0; b < batches; b++) await handle(batchBodies());
  sendToParent({ devices, batches, peak: process.resourceUsage().maxRSS * 1024, failures });
} else {
  // Enough warm-up batches for the handler's caches to reach their steady state for this fleet.
  const warmup = Number(process.env['BENCH_WARMUP'] ?? '5');
  const rounds = Number(process.env['BENCH_ROUNDS'] ?? '9');
  for (let b = 0; b < warmup; b++) await handle(batchBodies());
  // Each round's handler call takes a batch built before the round, so building it is not timed.
  let bodies = batchBodies();
  let event = sqsEvent(bodies);
  const times = await interleaved(
    {
      handler: async () => {
        failures += (await handler(event, lambdaContext())).batchItemFailures.length;
      },
      'JSON.parse': () => {
        for (const body of bodies) sink += parsedTimestamp(body) & 1;
      },
    },
    {
      warmupRounds: 0,
      rounds,
      afterRound: () => {
        bodies = batchBodies();
        event = sqsEvent(bodies);
      },
    },
  );
  sendToParent({ devices, times, failures, batchesHandled: nextBatch, sink });
}
