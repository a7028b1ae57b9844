// The telemetry the benchmarks feed the bridge: report messages (docs/formats.md, Report) from a fleet of
// devices, each device reporting at a steady interval. Deterministic, so every run measures the same bytes.
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';

export const METRIC_NAMES = [
  'temperature_celsius',
  'humidity_percent',
  'pressure_hpa',
  'battery_volts',
  'rssi_dbm',
  'co2_ppm',
  'voc_ppb',
  'pm25_ugm3',
  'noise_db',
  'lux',
] as const;

const SITES = ['north', 'south', 'east', 'west', 'centre'];

/** Messages per batch of goals 1b, 1rb and 5b (large-fleets-child.ts). */
export const FLEET_BATCH_MESSAGES = 10_000;

export interface ReportWorkload {
  /** Messages in the batch. */
  readonly messages: number;
  /** Entries of `metrics` per report (samples per message). */
  readonly metricsPerMessage: number;
  /** Distinct devices; message i comes from device i % devices. */
  readonly devices: number;
  /** Timestamp of the first report of every device (ms). */
  readonly startMs: number;
  /** Interval between two reports of one device (ms). */
  readonly intervalMs: number;
  /** Extra labels on every message, e.g. a run id. */
  readonly labels?: Readonly<Record<string, string>>;
}

export function deviceName(device: number): string {
  return `d-${String(device).padStart(5, '0')}`;
}

/** A value that a resend reproduces exactly: a function of device, report and metric only. */
export function sampleValue(device: number, report: number, metric: number): number {
  return Math.round(((device * 31 + report * 17 + metric * 7) % 1000) * 10 + metric) / 100;
}

export interface ReportMessage {
  readonly device: number;
  readonly report: number;
  readonly timestampMs: number;
  readonly body: string;
}

export function reportMessage(workload: ReportWorkload, index: number): ReportMessage {
  const device = index % workload.devices;
  const report = Math.floor(index / workload.devices);
  const timestampMs = workload.startMs + report * workload.intervalMs;
  const metrics: Record<string, number> = {};
  for (let m = 0; m < workload.metricsPerMessage; m++)
    metrics[METRIC_NAMES[m % METRIC_NAMES.length]!] = sampleValue(device, report, m);
  const body = JSON.stringify({
    labels: { device: deviceName(device), site: SITES[device % SITES.length]!, ...workload.labels },
    timestamp: timestampMs,
    metrics,
  });
  return { device, report, timestampMs, body };
}

export function reportBodies(workload: ReportWorkload): string[] {
  const bodies: string[] = [];
  for (let i = 0; i < workload.messages; i++) bodies.push(reportMessage(workload, i).body);
  return bodies;
}

/** The route the readings workload is published on: flat readings, site and device from the topic. */
export const BENCH_READINGS_ROUTE = {
  name: 'flat',
  topic: 'telemetry/{site}/{device}',
  format: 'readings',
  timestampField: 'ts',
  timestampUnit: 'ms',
} as const;

/**
 * The same fleet publishing flat readings (`{"ts":…,"temperature_celsius":…}`) on telemetry/<site>/<device>,
 * wrapped as the readings route's IoT rule wraps them: the envelope with the payload in base64.
 */
export function readingsEnvelopeBodies(workload: ReportWorkload): string[] {
  const bodies: string[] = [];
  for (let i = 0; i < workload.messages; i++) bodies.push(readingsEnvelopeBody(workload, i));
  return bodies;
}

/** Message `index` of the readings workload (see readingsEnvelopeBodies). */
export function readingsEnvelopeBody(workload: ReportWorkload, index: number): string {
  const device = index % workload.devices;
  const report = Math.floor(index / workload.devices);
  const timestampMs = workload.startMs + report * workload.intervalMs;
  const readings: Record<string, number> = { ts: timestampMs };
  for (let m = 0; m < workload.metricsPerMessage; m++)
    readings[METRIC_NAMES[m % METRIC_NAMES.length]!] = sampleValue(device, report, m);
  const topic = `telemetry/${SITES[device % SITES.length]!}/${deviceName(device)}`;
  const payload = Buffer.from(JSON.stringify(readings)).toString('base64');
  return JSON.stringify({ payload, topic, client_id: deviceName(device), received_at: timestampMs, route: 'flat' });
}

/** An SQS event as Lambda's event source mapping delivers it. */
export function sqsEvent(bodies: readonly string[], sentTimestampMs = Date.now()): SQSEvent {
  const records: SQSRecord[] = bodies.map((body, i) => ({
    messageId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    receiptHandle: `rh-${i}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(sentTimestampMs),
      SenderId: '000000000000',
      ApproximateFirstReceiveTimestamp: String(sentTimestampMs),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:bench',
    awsRegion: 'us-east-1',
  }));
  return { Records: records };
}

/** A Lambda Context with a generous deadline, for invoking the handler outside Lambda. */
export function lambdaContext(timeoutMs = 300_000): Context {
  const deadline = Date.now() + timeoutMs;
  const unsupported = (): never => {
    throw new Error('not supported in the benchmark');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench',
    memoryLimitInMB: '512',
    awsRequestId: 'bench',
    logGroupName: '/aws/lambda/bench',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
