// `npx tsx bench/soak/resend-cost.ts`: what resolving refused resends costs in requests. A 1,000-message batch
// (100 series × 10 samples, one message per sample) with one message the receiver refuses, delivered by the real
// delivery code and HTTP client to the strict test receiver in its write modes, once as is and once after a lost
// answer (the first request stored, its answer dropped). Prints requests, requests spent resolving resends, and dead letters.
import { noAuth } from '../../functions/ingest/auth/authenticator.js';
import { deliver } from '../../functions/ingest/delivery/index.js';
import { createRemoteWriteClient } from '../../functions/ingest/remote-write-client.js';
import {
  bisectBatch,
  compressBlock,
  DEFAULT_PIPELINE_CONFIG,
  encodeWriteRequestView,
  planBatch,
  REMOTE_WRITE_HEADERS,
  SampleNormaliser,
} from '../../functions/pipeline/index.js';
import { StrictReceiver, type StrictReceiverOptions } from '../../test/support/strict-receiver.js';

const SERIES = 100;
const SAMPLES_PER_SERIES = 10;
const REJECTED = { device: 'd-42', sample: 5 };

async function once(name: string, options: StrictReceiverOptions, lostAnswer: boolean): Promise<string> {
  const base = Math.floor(Date.now() / 1000) * 1000 - 10 * 60_000;
  const rejectedAt = base + REJECTED.sample * 1000;
  const receiver = await StrictReceiver.start({
    ...options,
    rejectSample: (labels, sample) =>
      labels.some((l) => l.value === REJECTED.device) && sample.timestampMs === rejectedAt
        ? 'refused by policy'
        : undefined,
  });
  const client = createRemoteWriteClient({
    url: new URL(receiver.url),
    authenticator: noAuth,
    protocolHeaders: REMOTE_WRITE_HEADERS,
    maxSockets: 4,
  });
  try {
    const sources = [];
    for (let d = 0; d < SERIES; d++)
      for (let i = 0; i < SAMPLES_PER_SERIES; i++)
        sources.push({
          messageId: `m-${d}-${i}`,
          body: JSON.stringify({
            name: 'm',
            value: i,
            timestamp: base + i * 1000,
            labels: { device: `d-${d}` },
          }),
          sentTimestampMs: base,
        });
    const plan = planBatch(sources, DEFAULT_PIPELINE_CONFIG, new SampleNormaliser(DEFAULT_PIPELINE_CONFIG));
    if (lostAnswer) receiver.enqueueFaults({ kind: 'drop', afterWrite: true });
    const result = await deliver(plan.batches, plan.after, {
      client,
      authenticator: noAuth,
      encode: (batch) => compressBlock(encodeWriteRequestView(batch)),
      bisect: bisectBatch,
      concurrency: 4,
      deadlineMs: Date.now() + 120_000,
      timeoutMs: 10_000,
      retryBaseDelayMs: 10,
      retryMaxDelayMs: 100,
    });
    return `| ${name}${lostAnswer ? ', first answer lost' : ''} | ${plan.batches.length} | ${result.requests} | ${result.resolvingRequests} | ${result.rejected.size} | ${result.unwritten.size} | ${receiver.writtenSampleCount()} |`;
  } finally {
    client.close();
    await receiver.close();
  }
}

const rows = [
  '| receiver | planned requests | requests sent | of them resolving resends | rejected | unwritten | samples stored |',
  '| --- | --- | --- | --- | --- | --- | --- |',
];
for (const lostAnswer of [false, true]) {
  rows.push(
    await once(
      'partial writes, newest-only duplicates (Cortex, AMP)',
      { writeMode: 'partial', exactDuplicates: 'newest-only' },
      lostAnswer,
    ),
  );
  rows.push(
    await once('partial writes, any stored duplicate accepted', { writeMode: 'partial' }, lostAnswer),
  );
  rows.push(
    await once(
      'whole-request writes (Prometheus 2.42)',
      { writeMode: 'whole', exactDuplicates: 'newest-only' },
      lostAnswer,
    ),
  );
}
console.log(
  `${SERIES * SAMPLES_PER_SERIES} messages, ${SERIES} series × ${SAMPLES_PER_SERIES} samples, one message refused`,
);
console.log(rows.join('\n'));
