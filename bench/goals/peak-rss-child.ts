// Goal 5, in a fresh process: peak RSS of the BUILT handler on a 10,000-message batch of 10-metric reports.
// BENCH_RSS_MODE=baseline stops before the handler runs, so the parent can set the cost of the runtime, the
// bundle and the event itself beside the cost of handling it.
import { pathToFileURL } from 'node:url';
import { sendToParent } from '../lib/parent-channel.js';
import { lambdaContext, reportBodies, sqsEvent } from '../lib/workload.js';

type Handler = (
  event: unknown,
  context: unknown,
) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>;

const maxRssBytes = (): number => process.resourceUsage().maxRSS * 1024;
const mode = process.env['BENCH_RSS_MODE'] ?? 'handle';

const atStart = maxRssBytes();
const { handler } = (await import(pathToFileURL(process.env['BENCH_HANDLER_BUNDLE']!).href)) as {
  handler: Handler;
};
const afterImport = maxRssBytes();
const event = sqsEvent(
  reportBodies({
    messages: 10_000,
    metricsPerMessage: 10,
    devices: 1000,
    startMs: Date.now() - 30 * 60_000,
    intervalMs: 10_000,
  }),
);
const afterEvent = maxRssBytes();
let failures = 0;
if (mode === 'handle') {
  const response = await handler(event, lambdaContext());
  failures = response.batchItemFailures.length;
}
sendToParent({
  mode,
  atStart,
  afterImport,
  afterEvent,
  peak: maxRssBytes(),
  failures,
  heapUsed: process.memoryUsage().heapUsed,
});
