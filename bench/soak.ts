// `npm run soak` (not part of npm test): at least 1,000,000 samples through the local pipeline with receiver
// faults, then every message accounted for. The pipeline is the one `iotprom local` runs: fauxqs (a source queue
// whose redrive policy moves a message to the dead-letter queue after maxReceiveCount receives), the CLI's
// Lambda-like event source poller invoking the BUILT handler (dist/ingest/index.mjs), and a real Prometheus 2.42
// behind a fault-injecting proxy (bench/soak/fault-proxy.ts: 5xx bursts, 429s, lost answers, 400s for "poison"
// series and whole-request 500s for "poison-500" series). Malformed bodies are mixed in too. The bundle gets
// MAX_RECEIVE_COUNT as the stack sets it, so poison-500 messages are isolated on their final receive.
// At the end each message must be in exactly one place: all its samples in Prometheus (read back through
// PromQL, values compared) or in the dead-letter queue with a bridge-error-kind. Nothing lost, nothing both,
// no dead letter without its reason, no sample accepted twice
// except resends after an answer the proxy "lost" or with a message SQS redelivered. The report is printed and
// saved to bench/SOAK.md.
// Options: --devices N (1000) --reports N (100 per device; 1000 × 100 × 10 metrics = 1,000,000 samples)
//          --outage-after N (1500 requests)
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startEventSourcePoller, type SqsHandler } from '../cli/local/event-source-poller.js';
import { startPrometheus, type PrometheusServer } from '../cli/local/prometheus-server.js';
import { startSqsServer } from '../cli/local/sqs-server.js';
import { formatMarkdown, handlerBundle, projectRoot } from './lib/child.js';
import { machine } from './lib/machine.js';
import { receiveAll } from '../test/support/queues.js';
import { queueCounts, sendBodies } from './lib/sqs-feed.js';
import { METRIC_NAMES } from './lib/workload.js';
import { startFaultProxy, type FaultProxy, type FaultSchedule } from './soak/fault-proxy.js';
import { Ledger, type MessageKind } from './soak/ledger.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

/** Deterministic pseudo-random numbers (mulberry32), so a soak run can be repeated. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SETTINGS = {
  batchSize: 1000,
  maximumBatchingWindowSeconds: 1,
  functionTimeoutSeconds: 15,
  concurrency: 2,
  visibilityTimeoutSeconds: 20,
  maxReceiveCount: 4,
  deadlineSafetyMarginMs: 2000,
  timeLimitMs: 25 * 60_000,
};
const SCHEDULE: FaultSchedule = {
  burstEvery: 200,
  burstLength: 6,
  share429: 0.03,
  shareLostAnswer: 0.01,
  outageAfterRequests: option('outage-after', 1500),
  outageMs: 30_000,
};

interface Queues {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
}

/** What the run observed while the poller drained the queue. */
interface RunStats {
  readonly elapsedMs: number;
  readonly timedOut: boolean;
  readonly outcomes: Record<string, number>;
  readonly pollerErrors: string[];
  readonly failedRecords: number;
  /** Messages SQS delivered more than once. */
  readonly redelivered: ReadonlySet<number>;
}

/** Where the dead-letter queue's messages came from. */
interface DeadLetterCount {
  readonly total: number;
  readonly kindOf: ReadonlyMap<number, string>;
  /** The bridge-error reason of each dead-lettered message, for the problems list. */
  readonly reasonOf: ReadonlyMap<number, string>;
  readonly byKind: Record<string, number>;
  readonly twice: number;
  readonly unknown: number;
  readonly withoutKind: number;
}

interface PrometheusCount {
  /** Per sample slot, how many times PromQL returned it (saturating). */
  readonly found: Uint8Array;
  readonly wrongValues: number;
  readonly foreignSamples: number;
}

function newLedger(): Ledger {
  const now = Date.now();
  const reports = option('reports', 100);
  const intervalMs = 10_000;
  // Recent past: Prometheus 2.42 refuses samples far behind its head, and future ones break later writes.
  const ledger = new Ledger({
    run: `soak${now}`,
    devices: option('devices', 1000),
    reportsPerDevice: reports,
    metrics: METRIC_NAMES.length,
    startMs: now - 50 * 60_000,
    intervalMs,
    poisonEvery: 500,
    poison500Every: 10,
    malformedEvery: 1000,
  });
  if (ledger.plan.startMs + reports * intervalMs > now)
    throw new Error('too many reports for the recent past');
  return ledger;
}

function configureBundle(
  proxyUrl: string,
  deadLetterQueueUrl: string,
  sqsEndpoint: string,
  region: string,
): void {
  Object.assign(process.env, {
    REMOTE_WRITE_URL: proxyUrl,
    REMOTE_WRITE_AUTH: 'none',
    DEAD_LETTER_QUEUE_URL: deadLetterQueueUrl,
    DEADLINE_SAFETY_MARGIN_MS: String(SETTINGS.deadlineSafetyMarginMs),
    // As the stack sets it: the source queue's maxReceiveCount, for last-chance isolation.
    MAX_RECEIVE_COUNT: String(SETTINGS.maxReceiveCount),
    AWS_ENDPOINT_URL_SQS: sqsEndpoint,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    // Every retry and dead letter would be a log line; the soak's own report says what happened.
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
}

/** The built handler, noting which messages SQS delivered more than once. */
async function observedHandler(ledger: Ledger, redelivered: Set<number>): Promise<SqsHandler> {
  const { handler } = (await import(pathToFileURL(handlerBundle).href)) as {
    handler: (event: SQSEvent, context: unknown) => Promise<SQSBatchResponse>;
  };
  // A redelivered message is sent whole again, including samples an earlier invocation had already written.
  const invoke = async (event: SQSEvent, context: unknown): Promise<SQSBatchResponse> => {
    for (const record of event.Records) {
      if (Number(record.attributes.ApproximateReceiveCount) > 1) {
        const index = ledger.messageOfBody(record.body);
        if (index !== undefined) redelivered.add(index);
      }
    }
    return handler(event, context);
  };
  return invoke as SqsHandler;
}

/** Feeds every message, shuffled, and polls until the queue stays empty (or the time limit). */
async function drain(
  ledger: Ledger,
  sqs: SQSClient,
  queues: Queues,
  region: string,
  proxy: FaultProxy,
  random: () => number,
): Promise<RunStats> {
  const redelivered = new Set<number>();
  const outcomes: Record<string, number> = {};
  const pollerErrors: string[] = [];
  const poller = startEventSourcePoller({
    sqs,
    queueUrl: queues.queueUrl,
    queueArn: queues.queueArn,
    region,
    handler: await observedHandler(ledger, redelivered),
    batchSize: SETTINGS.batchSize,
    maximumBatchingWindowSeconds: SETTINGS.maximumBatchingWindowSeconds,
    functionTimeoutSeconds: SETTINGS.functionTimeoutSeconds,
    concurrency: SETTINGS.concurrency,
    receiveWaitSeconds: 1,
    onInvocation: (r) => {
      outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    },
    onPollerError: (e) => {
      if (pollerErrors.length < 10) pollerErrors.push(String(e));
    },
  });
  // Shuffled: SQS standard queues promise no order, and IoT rules deliver none.
  const order = ledger.messages.map((m) => m.body);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const t0 = performance.now();
  let fed = false;
  const feeding = sendBodies(sqs, queues.queueUrl, order, 4).then(() => {
    fed = true;
    console.log(`  all ${order.length} messages sent in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  });
  let emptyChecks = 0;
  let timedOut = false;
  while (emptyChecks < 2) {
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const depth = await queueCounts(sqs, queues.queueUrl);
    const dlq = await queueCounts(sqs, queues.deadLetterQueueUrl);
    const s = poller.stats();
    const c = proxy.counters;
    console.log(
      `  ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s: deleted ${s.deleted}, queue ${depth.visible}+${depth.inFlight} in flight, dead-letter ${dlq.visible}, ` +
        `invocations ${s.invocations} (${s.failed} records failed); proxy: ${c.requests} requests, ${c.forwarded} forwarded, ${c.outage503} outage 503, ${c.burst503} burst 503, ${c.throttled429} 429, ${c.lostAnswers} lost answers, ${c.poison400} poison 400, ${c.poison500} poison 500`,
    );
    emptyChecks = fed && depth.visible + depth.inFlight + depth.delayed === 0 ? emptyChecks + 1 : 0;
    if (performance.now() - t0 > SETTINGS.timeLimitMs) {
      timedOut = true;
      break;
    }
  }
  await feeding;
  await poller.stop();
  const elapsedMs = performance.now() - t0;
  return { elapsedMs, timedOut, outcomes, pollerErrors, failedRecords: poller.stats().failed, redelivered };
}

async function countDeadLetters(
  ledger: Ledger,
  sqs: SQSClient,
  deadLetterQueueUrl: string,
): Promise<DeadLetterCount> {
  const dead = await receiveAll(sqs, deadLetterQueueUrl);
  const kindOf = new Map<number, string>();
  const reasonOf = new Map<number, string>();
  const byKind: Record<string, number> = {};
  let twice = 0;
  let unknown = 0;
  let withoutKind = 0;
  for (const m of dead) {
    const index = ledger.messageOfBody(m.Body ?? '');
    if (index === undefined) {
      unknown++;
      continue;
    }
    const given = m.MessageAttributes?.['bridge-error-kind']?.StringValue;
    if (given === undefined) withoutKind++;
    const kind = given ?? 'maxReceiveCount (SQS redrive)';
    if (kindOf.has(index)) twice++;
    kindOf.set(index, kind);
    reasonOf.set(index, m.MessageAttributes?.['bridge-error']?.StringValue ?? '');
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  }
  return { total: dead.length, kindOf, reasonOf, byKind, twice, unknown, withoutKind };
}

async function countPrometheus(ledger: Ledger, prometheus: PrometheusServer): Promise<PrometheusCount> {
  const found = new Uint8Array(ledger.sampleSlots);
  let wrongValues = 0;
  let foreignSamples = 0;
  const endMs = Date.now();
  for (const name of METRIC_NAMES) {
    const selector = `${name}{run="${ledger.plan.run}"}`;
    for (const s of await prometheus.rawSamples(selector, ledger.plan.startMs - 1, endMs)) {
      const labels = Object.entries(s.metric).map(([n, value]) => ({ name: n, value }));
      for (const sample of s.samples) {
        const slot = ledger.sampleSlot(labels, sample.timestampMs);
        if (slot === undefined) {
          foreignSamples++;
          continue;
        }
        if (found[slot]! < 255) found[slot]!++;
        if (sample.value !== ledger.expectedValue(slot)) wrongValues++;
      }
    }
  }
  return { found, wrongValues, foreignSamples };
}

/** Every message's place: written, dead-lettered (by kind), lost, partial or both; and the misplaced ones. */
function placeMessages(
  ledger: Ledger,
  found: Uint8Array,
  dead: DeadLetterCount,
): { tally: Record<string, number>; problems: string[] } {
  const metrics = ledger.plan.metrics;
  const tally: Record<string, number> = {};
  const problems: string[] = [];
  for (const message of ledger.messages) {
    let written = 0;
    if (message.kind !== 'malformed')
      for (let m = 0; m < metrics; m++) if (found[message.index * metrics + m]! > 0) written++;
    const dl = dead.kindOf.get(message.index);
    const place =
      written === metrics && dl === undefined
        ? 'written'
        : written === 0 && dl !== undefined
          ? `dead-lettered (${dl})`
          : written === 0
            ? 'LOST'
            : dl !== undefined
              ? 'BOTH written and dead-lettered'
              : 'PARTIALLY written';
    const key = `${message.kind}: ${place}`;
    tally[key] = (tally[key] ?? 0) + 1;
    const expected: Record<MessageKind, boolean> = {
      good: place === 'written' || place.startsWith('dead-lettered ('),
      poison: place === 'dead-lettered (rejected-by-receiver)',
      'poison-500': place === 'dead-lettered (failed-after-retries)',
      malformed: place === 'dead-lettered (invalid-message)',
    };
    if (!expected[message.kind] && problems.length < 20) {
      const reason = dl === undefined ? '' : `; its dead letter says: ${dead.reasonOf.get(message.index)}`;
      problems.push(
        `message ${message.index} (${message.kind}): ${place}, ${written} of ${metrics} samples found${reason}`,
      );
    }
  }
  return { tally, problems };
}

/** Samples Prometheus accepted more than once, by what explains it. */
function countResends(ledger: Ledger, proxy: FaultProxy, redelivered: ReadonlySet<number>) {
  let acceptedTwice = 0;
  let afterLostAnswer = 0;
  let withRedelivery = 0;
  for (let slot = 0; slot < ledger.sampleSlots; slot++) {
    const extra = proxy.accepted[slot]! - 1;
    if (extra <= 0) continue;
    const explained = Math.min(extra, proxy.acceptedWithLostAnswer[slot]!);
    afterLostAnswer += explained;
    if (extra === explained) continue;
    if (redelivered.has(ledger.messageOfSlot(slot))) withRedelivery += extra - explained;
    else acceptedTwice++;
  }
  return { acceptedTwice, afterLostAnswer, withRedelivery };
}

interface Findings {
  readonly started: Date;
  readonly ledger: Ledger;
  readonly proxy: FaultProxy;
  readonly run: RunStats;
  readonly dead: DeadLetterCount;
  readonly prometheus: PrometheusCount;
  readonly places: { tally: Record<string, number>; problems: string[] };
  readonly resends: ReturnType<typeof countResends>;
}

function verdict(f: Findings): { ok: boolean; lost: number } {
  const lost = Object.entries(f.places.tally)
    .filter(([key]) => key.endsWith(': LOST'))
    .reduce((sum, [, n]) => sum + n, 0);
  const ok =
    !f.run.timedOut &&
    lost === 0 &&
    f.places.problems.length === 0 &&
    f.dead.twice === 0 &&
    f.dead.unknown === 0 &&
    f.dead.withoutKind === 0 &&
    f.prometheus.wrongValues === 0 &&
    f.prometheus.foreignSamples === 0 &&
    f.resends.acceptedTwice === 0;
  return { ok, lost };
}

function reportLines(f: Findings): string[] {
  const { ledger, run, dead, places, resends } = f;
  const { ok, lost } = verdict(f);
  const m = machine();
  const c = f.proxy.counters;
  const samplesWritten = f.prometheus.found.reduce((n, count) => n + (count > 0 ? 1 : 0), 0);
  return [
    '# Soak test report',
    '',
    'Written by `npm run soak` (`tsx bench/soak.ts`); see the header of bench/soak.ts for what it does.',
    '',
    `- date: ${f.started.toISOString()}; machine: ${m.cpu}, ${m.cores} cores, Node ${m.node}`,
    `- verdict: **${ok ? 'PASS' : 'FAIL'}**: ${lost} messages lost, ${places.problems.length} misplaced, ${dead.withoutKind} dead-lettered without a bridge-error-kind, ${resends.acceptedTwice} samples accepted twice with neither a lost answer nor a redelivery to explain it, ${f.prometheus.wrongValues} wrong values${run.timedOut ? ', TIMED OUT' : ''}`,
    `- sent: ${ledger.messages.length} messages: ${ledger.goodMessages} good (${ledger.goodSamples} samples), ${ledger.poisonMessages} poison (a series the receiver answers 400 for, or for every ${ledger.plan.poison500Every}th a whole-request 500 "too old sample"), ${ledger.malformedMessages} malformed JSON`,
    `- took ${(run.elapsedMs / 1000).toFixed(0)} s from the first send to an empty queue: ${Math.round((samplesWritten / run.elapsedMs) * 1000)} samples/s written through the faults`,
    `- pipeline: fauxqs source queue (visibility ${SETTINGS.visibilityTimeoutSeconds} s, maxReceiveCount ${SETTINGS.maxReceiveCount}) → event source poller (batch ${SETTINGS.batchSize}, window ${SETTINGS.maximumBatchingWindowSeconds} s, timeout ${SETTINGS.functionTimeoutSeconds} s, concurrency ${SETTINGS.concurrency}) → dist/ingest/index.mjs (DEADLINE_SAFETY_MARGIN_MS=${SETTINGS.deadlineSafetyMarginMs}, MAX_RECEIVE_COUNT=${SETTINGS.maxReceiveCount}) → fault proxy → Prometheus 2.42 (out-of-order window 2h)`,
    `- faults injected: a receiver outage (every request 503) of ${SCHEDULE.outageMs / 1000} s after ${SCHEDULE.outageAfterRequests} requests (${c.outage503} answered), a burst of ${SCHEDULE.burstLength} × 503 every ${SCHEDULE.burstEvery} requests (${c.burst503} answered), 429 + Retry-After: 1 on ${SCHEDULE.share429 * 100}% (${c.throttled429}), written-then-503 "lost answers" on ${SCHEDULE.shareLostAnswer * 100}% (${c.lostAnswers}), 400 for every request holding a poison series (${c.poison400}), 500 "too old sample" for every request holding a poison-500 series (${c.poison500})`,
    `- proxy: ${c.requests} requests, ${c.forwarded} forwarded to Prometheus, ${c.prometheusErrors} refused by Prometheus itself${f.proxy.prometheusErrorSamples.length > 0 ? ` (e.g. ${f.proxy.prometheusErrorSamples[0]})` : ''}, ${c.undecodable} undecodable`,
    `- records returned to SQS as batch item failures (redelivered after the visibility timeout): ${run.failedRecords}`,
    `- invocations: ${Object.entries(run.outcomes)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')}; poller errors: ${run.pollerErrors.length}`,
    '',
    '## Where every message ended',
    '',
    '| message kind: place | messages |',
    '| --- | --- |',
    ...Object.entries(places.tally)
      .sort()
      .map(([k, v]) => `| ${k} | ${v} |`),
    '',
    `- good messages written: ${places.tally['good: written'] ?? 0} of ${ledger.goodMessages}; samples found through PromQL (raw range selectors per metric): ${samplesWritten}, each with the value sent (${f.prometheus.wrongValues} differ), ${f.prometheus.foreignSamples} unexpected samples`,
    `- dead-letter queue: ${dead.total} messages (${Object.entries(dead.byKind)
      .map(([k, v]) => `${v} ${k}`)
      .join(
        ', ',
      )}); without a bridge-error-kind: ${dead.withoutKind}; the same message twice: ${dead.twice}; not from this soak: ${dead.unknown}`,
    `- samples the proxy saw Prometheus accept more than once: ${resends.afterLostAnswer} resends after an injected lost answer (expected: the bridge cannot know they were written), ${resends.withRedelivery} resent with their message after SQS redelivered it (expected: a message is acknowledged only once all its samples are written, and a redelivered message is sent whole), ${resends.acceptedTwice} otherwise`,
    `- messages SQS delivered more than once: ${run.redelivered.size}`,
    ...(places.problems.length > 0 ? ['', '## Problems', '', ...places.problems.map((p) => `- ${p}`)] : []),
    '',
    'Prometheus stores an exact duplicate once, so "written twice" is judged from the proxy\'s record of accepted',
    'requests; the PromQL read-back proves presence and values.',
    '',
  ];
}

async function main(): Promise<void> {
  const started = new Date();
  const random = seeded(20261125);
  const ledger = newLedger();
  console.log(
    `soak: ${ledger.goodMessages} good messages (${ledger.goodSamples} samples), ${ledger.poisonMessages} poison, ${ledger.malformedMessages} malformed`,
  );
  const sqsServer = await startSqsServer();
  const prometheus = await startPrometheus({
    // Prometheus 2.42 or later, found on PATH unless PROMETHEUS_BINARY names it.
    binary: process.env['PROMETHEUS_BINARY'] ?? 'prometheus',
    outOfOrderTimeWindow: '2h',
  });
  const proxy = await startFaultProxy({
    target: prometheus.remoteWriteUrl,
    schedule: SCHEDULE,
    sampleIndex: (series, timestampMs) => ledger.sampleSlot(series.labels, timestampMs),
    sampleCount: ledger.sampleSlots,
    random,
  });
  try {
    const sqs = sqsServer.client();
    const queues = await sqsServer.createQueuePair('soak', {
      maxReceiveCount: SETTINGS.maxReceiveCount,
      visibilityTimeoutSeconds: SETTINGS.visibilityTimeoutSeconds,
    });
    configureBundle(proxy.url, queues.deadLetterQueueUrl, sqsServer.endpoint, sqsServer.region);
    const run = await drain(ledger, sqs, queues, sqsServer.region, proxy, random);
    const dead = await countDeadLetters(ledger, sqs, queues.deadLetterQueueUrl);
    const found = await countPrometheus(ledger, prometheus);
    const findings: Findings = {
      started,
      ledger,
      proxy,
      run,
      dead,
      prometheus: found,
      places: placeMessages(ledger, found.found, dead),
      resends: countResends(ledger, proxy, run.redelivered),
    };
    const report = reportLines(findings).join('\n');
    console.log(`\n${report}`);
    writeFileSync(join(projectRoot, 'bench', 'SOAK.md'), report);
    formatMarkdown(join(projectRoot, 'bench', 'SOAK.md'));
    console.log('wrote bench/SOAK.md');
    process.exitCode = verdict(findings).ok ? 0 : 1;
  } finally {
    await proxy.close();
    await prometheus.stop();
    await sqsServer.stop();
  }
}

await main();
