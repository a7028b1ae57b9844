// The ingest handler's two figures from issue 3, measured on the BUILT bundle (npm run build first) against the
// strict in-process receiver on loopback:
//   1. isolating one receiver-rejected message among 1,000: requests sent and wall time;
//   2. throughput on a 10,000-message batch (messages/s and samples/s, one invocation).
// The receiver runs in the same process and decodes every request with protobufjs, so its CPU time is part of
// the figure: a remote receiver would leave the handler more of the machine.
// Run: npm run build && npx tsx bench/handler.bench.ts [runs]   (default 5 runs each; medians printed)
import { cpus } from 'node:os';
import { StrictReceiver } from '../test/support/strict-receiver.js';
import {
  lambdaContext,
  loadBundle,
  sampleBody,
  shuffle,
  sqsEvent,
  sqsRecord,
} from '../test/ingest/harness.js';

const runs = Number(process.argv[2] ?? 5);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** `devices` devices × `perDevice` sample messages, shuffled, timestamps in the last minutes. */
function messages(prefix: string, devices: number, perDevice: number) {
  const base = Date.now() - 10 * 60_000;
  const records = [];
  for (let d = 0; d < devices; d++) {
    for (let i = 0; i < perDevice; i++)
      records.push(sqsRecord(sampleBody(`${prefix}-${d}`, d + i / 10, base + i * 1000)));
  }
  return shuffle(records, devices * perDevice);
}

async function isolation(run: number): Promise<{ requests: number; ms: number }> {
  const receiver = await StrictReceiver.start({
    rejectSample: (labels) => (labels.some((l) => l.value === 'poison') ? 'sample out of bounds' : undefined),
  });
  try {
    const handler = await loadBundle({ REMOTE_WRITE_URL: receiver.url });
    const records = messages(`iso${run}`, 100, 10).slice(0, 999);
    const poison = sqsRecord(sampleBody('poison', 1, Date.now() - 60_000));
    const event = sqsEvent(shuffle([...records, poison], run + 1));
    const started = performance.now();
    const response = await handler(event, lambdaContext(120_000));
    const ms = performance.now() - started;
    // No DLQ configured: the isolated message comes back as the only batch item failure.
    const failed = response.batchItemFailures.map((f) => f.itemIdentifier);
    if (failed.length !== 1 || failed[0] !== poison.messageId)
      throw new Error(`unexpected failures ${failed}`);
    if (receiver.writtenSampleCount() !== 999)
      throw new Error(`wrote ${receiver.writtenSampleCount()} samples`);
    return { requests: receiver.requests.length, ms };
  } finally {
    await receiver.close();
  }
}

async function throughput(run: number): Promise<{ ms: number; requests: number; samples: number }> {
  const receiver = await StrictReceiver.start();
  try {
    const handler = await loadBundle({ REMOTE_WRITE_URL: receiver.url });
    const event = sqsEvent(messages(`tp${run}`, 1000, 10));
    const started = performance.now();
    const response = await handler(event, lambdaContext(120_000));
    const ms = performance.now() - started;
    if (response.batchItemFailures.length !== 0) throw new Error('unexpected batch item failures');
    return { ms, requests: receiver.requests.length, samples: receiver.writtenSampleCount() };
  } finally {
    await receiver.close();
  }
}

console.log(
  `node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${runs} runs each`,
);

const iso = [];
for (let run = 0; run < runs; run++) iso.push(await isolation(run));
console.log(
  `isolate 1 bad message among 1,000: ${median(iso.map((r) => r.requests))} requests, ` +
    `median ${median(iso.map((r) => r.ms)).toFixed(0)} ms (runs: ${iso.map((r) => `${r.requests} req/${r.ms.toFixed(0)} ms`).join(', ')})`,
);

const tp = [];
for (let run = 0; run < runs; run++) tp.push(await throughput(run));
const ms = median(tp.map((r) => r.ms));
console.log(
  `10,000-message batch (1,000 series × 10 samples): median ${ms.toFixed(0)} ms = ` +
    `${Math.round(10_000 / (ms / 1000)).toLocaleString('en')} messages/s, ${tp[0]?.requests} requests, ` +
    `${tp[0]?.samples} samples written (runs: ${tp.map((r) => r.ms.toFixed(0)).join(', ')} ms)`,
);
