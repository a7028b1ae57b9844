// Goal 6: end to end, fauxqs → Lambda-like poller → built handler → Prometheus 2.42, with the bottleneck named.
import { handlerBundle, runChild } from '../lib/child.js';
import type { GoalResult } from '../lib/goal.js';

interface ChildResult {
  messages: number;
  samples: number;
  batchSize: number;
  concurrency: number;
  fillMs: number;
  elapsedMs: number;
  handlerMs: number;
  invocationMs: number;
  bridgeCpuMs: number;
  prometheusCpuMs: number | undefined;
  samplesInPrometheus: number;
}

export async function endToEnd(messages = 10_000): Promise<GoalResult> {
  const r = await runChild<ChildResult>('bench/goals/end-to-end-child.ts', {
    env: {
      BENCH_HANDLER_BUNDLE: handlerBundle,
      BENCH_E2E_MESSAGES: String(messages),
      POWERTOOLS_LOG_LEVEL: 'WARN',
      // The AWS SDK warns on every client that Node 20 support ends in 2027.
      NODE_NO_WARNINGS: '1',
    },
  });
  const perSecond = (r.samples / r.elapsedMs) * 1000;
  // Handler time summed over concurrent invocations, as a share of the wall time the invocations had.
  const handlerShare = r.handlerMs / (r.elapsedMs * r.concurrency);
  const sqsShare = 1 - r.invocationMs / (r.elapsedMs * r.concurrency);
  const deleteShare = (r.invocationMs - r.handlerMs) / (r.elapsedMs * r.concurrency);
  const parts: Array<[string, number]> = [
    ['gathering batches from SQS (ReceiveMessage, 10 messages per call)', sqsShare],
    ['the handler (decode → plan → encode → remote write)', handlerShare],
    ['deleting from SQS (DeleteMessageBatch, 10 per call)', deleteShare],
  ];
  parts.sort((a, b) => b[1] - a[1]);
  const pct = (x: number): string => `${(x * 100).toFixed(0)}%`;
  const complete = r.samplesInPrometheus === r.samples;
  return {
    id: '6',
    title: 'End to end: fauxqs → poller → handler → Prometheus 2.42',
    figure: `${Math.round(perSecond).toLocaleString('en')} samples/s`,
    goal: 'reported, bottleneck named',
    pass: complete ? undefined : false,
    details: [
      `${r.messages} report messages × 10 metrics = ${r.samples} samples in ${(r.elapsedMs / 1000).toFixed(1)} s (queue pre-filled in ${(r.fillMs / 1000).toFixed(1)} s, not counted); batch size ${r.batchSize}, ${r.concurrency} concurrent invocations`,
      `samples found through PromQL afterwards: ${r.samplesInPrometheus} of ${r.samples}${complete ? '' : ' (INCOMPLETE)'}`,
      `where the invocation slots' time went: ${parts.map(([name, share]) => `${name} ${pct(share)}`).join('; ')}`,
      `CPU: bridge process (fauxqs + poller + handler) ${(r.bridgeCpuMs / 1000).toFixed(1)} s, Prometheus ${r.prometheusCpuMs === undefined ? 'unknown' : `${(r.prometheusCpuMs / 1000).toFixed(1)} s`}, over ${(r.elapsedMs / 1000).toFixed(1)} s of wall time on 2 cores`,
      `bottleneck: ${parts[0]![0]} (${pct(parts[0]![1])} of the invocation slots' time)`,
    ],
  };
}
