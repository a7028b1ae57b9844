// Goal 6, in a fresh process: samples per second from fauxqs through the BUILT handler, invoked by the CLI's
// Lambda-like event source poller (cli/local/event-source-poller.ts), into a real Prometheus 2.42 on loopback.
// The queue is filled first; the clock runs from the poller's start until every message is deleted. Where the
// time goes: handler time vs waiting on SQS (receive + delete), and the CPU of this process vs Prometheus'.
import { pathToFileURL } from 'node:url';
import { startEventSourcePoller, type SqsHandler } from '../../cli/local/event-source-poller.js';
import { startPrometheus } from '../../cli/local/prometheus-server.js';
import { startSqsServer } from '../../cli/local/sqs-server.js';
import { sendToParent } from '../lib/parent-channel.js';
import { findProcess, processCpuMs } from '../lib/process-cpu.js';
import { sendBodies } from '../lib/sqs-feed.js';
import { METRIC_NAMES, reportBodies } from '../lib/workload.js';

const MESSAGES = Number(process.env['BENCH_E2E_MESSAGES'] ?? '10000');
const METRICS = 10;
const BATCH_SIZE = 1000; // the stack's default batchSize
const CONCURRENCY = 2;
const run = `e2e${Date.now()}`;

const sqsServer = await startSqsServer();
const prometheus = await startPrometheus({
  // Prometheus 2.42 or later, found on PATH unless PROMETHEUS_BINARY names it.
  binary: process.env['PROMETHEUS_BINARY'] ?? 'prometheus',
  outOfOrderTimeWindow: '2h',
});
try {
  const sqs = sqsServer.client();
  const queues = await sqsServer.createQueuePair('bench-e2e', { visibilityTimeoutSeconds: 120 });
  const bodies = reportBodies({
    messages: MESSAGES,
    metricsPerMessage: METRICS,
    devices: 1000,
    startMs: Date.now() - 40 * 60_000,
    intervalMs: 10_000,
    labels: { run },
  });
  const fillStarted = performance.now();
  await sendBodies(sqs, queues.queueUrl, bodies);
  const fillMs = performance.now() - fillStarted;

  Object.assign(process.env, {
    REMOTE_WRITE_URL: prometheus.remoteWriteUrl,
    REMOTE_WRITE_AUTH: 'none',
    DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
    AWS_ENDPOINT_URL_SQS: sqsServer.endpoint,
    AWS_REGION: sqsServer.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
  const { handler } = (await import(pathToFileURL(process.env['BENCH_HANDLER_BUNDLE']!).href)) as {
    handler: SqsHandler;
  };
  let handlerMs = 0;
  const timed: SqsHandler = async (event, context) => {
    const t0 = performance.now();
    try {
      return await handler(event, context);
    } finally {
      handlerMs += performance.now() - t0;
    }
  };

  const prometheusPid = findProcess(prometheus.dataDir);
  const promCpu0 = prometheusPid === undefined ? undefined : processCpuMs(prometheusPid);
  const cpu0 = process.cpuUsage();
  let invocationMs = 0;
  const started = performance.now();
  let finished = 0;
  const done = new Promise<void>((resolve) => {
    const poller = startEventSourcePoller({
      sqs,
      queueUrl: queues.queueUrl,
      queueArn: queues.queueArn,
      region: sqsServer.region,
      handler: timed,
      batchSize: BATCH_SIZE,
      maximumBatchingWindowSeconds: 1,
      functionTimeoutSeconds: 60,
      concurrency: CONCURRENCY,
      receiveWaitSeconds: 1,
      onInvocation: (result) => {
        invocationMs += result.durationMs;
        if (poller.stats().deleted >= MESSAGES && finished === 0) {
          finished = performance.now();
          void poller.stop().then(resolve);
        }
      },
    });
  });
  await done;
  const elapsedMs = finished - started;
  const cpu = process.cpuUsage(cpu0);
  const promCpu1 = prometheusPid === undefined ? undefined : processCpuMs(prometheusPid);

  // count_over_time drops the metric name, so each metric is counted on its own.
  let samplesInPrometheus = 0;
  for (const name of METRIC_NAMES.slice(0, METRICS)) {
    const written = await prometheus.query(`sum(count_over_time(${name}{run="${run}"}[2h]))`);
    samplesInPrometheus += written[0]?.samples[0]?.value ?? 0;
  }
  sendToParent({
    messages: MESSAGES,
    samples: MESSAGES * METRICS,
    batchSize: BATCH_SIZE,
    concurrency: CONCURRENCY,
    fillMs,
    elapsedMs,
    handlerMs,
    invocationMs,
    bridgeCpuMs: (cpu.user + cpu.system) / 1000,
    prometheusCpuMs: promCpu0 === undefined || promCpu1 === undefined ? undefined : promCpu1 - promCpu0,
    samplesInPrometheus,
  });
} finally {
  await prometheus.stop();
  await sqsServer.stop();
}
