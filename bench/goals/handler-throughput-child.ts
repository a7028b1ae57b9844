// Goal 1, in a fresh process: the BUILT handler (dist/ingest/index.mjs, configured by the environment the parent
// set before this import) on a 10,000-message batch of 3-metric reports, against JSON.parse of the same bodies,
// in alternating rounds. The receiver is the parent's 204 sink on loopback.
import { pathToFileURL } from 'node:url';
import { compressBlock, encodeWriteRequestView, planBatch } from '../../functions/pipeline/index.js';
import { sendToParent } from '../lib/parent-channel.js';
import { interleaved } from '../lib/stats.js';
import { RouteDecoder } from '../../functions/routes/decoder.js';
import { validateRoutes } from '../../functions/routes/validate.js';
import {
  BENCH_READINGS_ROUTE,
  lambdaContext,
  readingsEnvelopeBodies,
  reportBodies,
  sqsEvent,
} from '../lib/workload.js';

type Handler = (
  event: unknown,
  context: unknown,
) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>;

const bundle = process.env['BENCH_HANDLER_BUNDLE']!;
const rounds = Number(process.env['BENCH_ROUNDS'] ?? '15');
const { handler } = (await import(pathToFileURL(bundle).href)) as { handler: Handler };

const MESSAGES = 10_000;
// `readings`: the same fleet through a readings route (the parent points ROUTES_FILE at that route).
const readings = process.env['BENCH_WORKLOAD'] === 'readings';
const workload = {
  messages: MESSAGES,
  metricsPerMessage: 3,
  devices: 1000,
  startMs: Date.now() - 30 * 60_000,
  intervalMs: 10_000,
};
const bodies = readings ? readingsEnvelopeBodies(workload) : reportBodies(workload);
/** JSON.parse of what the body holds: for an envelope, the envelope and the payload inside it. */
const parseBody = readings
  ? (body: string) => {
      const envelope = JSON.parse(body) as { payload: string };
      return JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as { ts: number };
    }
  : (body: string) => ({ ts: (JSON.parse(body) as { timestamp: number }).timestamp });
const decoder = new RouteDecoder(validateRoutes([BENCH_READINGS_ROUTE]));
const event = sqsEvent(bodies);
// The floor of any handler built on JSON.parse and this encoder: parsing the bodies plus encoding and compressing
// the requests they plan into, with nothing in between (no normalising, grouping, HTTP, logs or metrics).
const planned = planBatch(
  bodies.map((body, i) => ({ messageId: String(i), body, sentTimestampMs: Date.now() })),
  undefined,
  undefined,
  readings ? { decode: (message, options) => decoder.decode(message, options) } : {},
).batches;
let failures = 0;
let sink = 0;

// The first batch after the import, before any warm-up: the JIT and the normaliser's caches are cold.
const firstStart = process.cpuUsage();
failures += (await handler(event, lambdaContext())).batchItemFailures.length;
const firstUsage = process.cpuUsage(firstStart);
const firstBatchMs = (firstUsage.user + firstUsage.system) / 1000;

const times = await interleaved(
  {
    handler: async () => {
      const response = await handler(event, lambdaContext());
      failures += response.batchItemFailures.length;
    },
    'JSON.parse': () => {
      for (const body of bodies) sink += parseBody(body).ts & 1;
    },
    'JSON.parse + encode + compress': () => {
      for (const body of bodies) sink += parseBody(body).ts & 1;
      for (const batch of planned) sink += compressBlock(encodeWriteRequestView(batch)).length & 1;
    },
  },
  { warmupRounds: 5, rounds },
);

sendToParent({
  times,
  failures,
  messages: MESSAGES,
  samples: MESSAGES * 3,
  bodyBytes: bodies.reduce((n, b) => n + b.length, 0),
  firstBatchMs,
  sink,
});
