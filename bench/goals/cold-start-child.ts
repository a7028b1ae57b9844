// Goals 4b and 4c, in a fresh process: import the BUILT handler as deployed and hand it one batch, as the first
// invocation after a cold start does. The event is read from a file the parent wrote (Lambda's runtime parses
// the event too, but that is not the function's code), and the CPU spent reading it is reported so the parent
// can take it off. Writes "<event CPU ms> <CPU ms after the import> <total CPU ms>" to stderr; nothing else, not even IPC, runs here.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { lambdaContext } from '../lib/workload.js';

type Handler = (
  event: unknown,
  context: unknown,
) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>;

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const before = cpuMs();
const event: unknown = JSON.parse(readFileSync(process.env['BENCH_EVENT_FILE']!, 'utf8'));
const eventMs = cpuMs() - before;
const { handler } = (await import(pathToFileURL(process.env['BENCH_HANDLER_BUNDLE']!).href)) as {
  handler: Handler;
};
const importedMs = cpuMs();
const response = await handler(event, lambdaContext());
if (response.batchItemFailures.length > 0)
  throw new Error(`${response.batchItemFailures.length} batch item failures`);
process.stderr.write(`${eventMs} ${importedMs} ${cpuMs()}`);
// The pooled keep-alive connection would hold the process open.
process.exit(0);
