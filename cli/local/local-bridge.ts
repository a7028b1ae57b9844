// The whole bridge on this machine: an in-process SQS (fauxqs) with a source and a dead-letter queue, the BUILT
// handler (dist/ingest/index.mjs, the bytes that ship) invoked by the Lambda-like event source poller, a real
// Prometheus as the receiver (or any remote-write URL), and the device simulator feeding the queue. The handler
// reads the routes file of the local readings route (LOCAL_READINGS_ROUTE), as a deployed function reads its layer's.
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Console } from 'node:console';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DEFAULT_ROUTES_FILE, ROUTES_FILE_VARIABLE, routesFileText } from '../../functions/routes/load.js';
import { LOCAL_READINGS_ROUTE } from '../commands/map.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { simulate, type SimulateSummary } from '../simulate/simulate.js';
import { MESSAGE_FORMATS, type MessageFormat } from '../simulate/telemetry.js';
import { queueDepth } from '../sqs/messages.js';
import { startEventSourcePoller, type EventSourcePoller, type SqsHandler } from './event-source-poller.js';
import { startPrometheus, type PrometheusServer } from './prometheus-server.js';
import { startSqsServer, type QueuePair, type SqsServer } from './sqs-server.js';

export interface LocalBridgeOptions {
  /** The built handler bundle. @default <project>/dist/ingest/index.mjs */
  readonly handlerPath?: string;
  /** Build the bundle first even when it exists. */
  readonly rebuild?: boolean;
  /** Send to this receiver instead of starting Prometheus. */
  readonly remoteWriteUrl?: string;
  readonly prometheusBinary?: string;
  /** Prometheus' out-of-order window; AMP allows up to 10 minutes. @default '10m' */
  readonly outOfOrderTimeWindow?: string;
  readonly sqsPort?: number;
  readonly region?: string;
  readonly queueName?: string;
  readonly batchSize?: number;
  readonly maximumBatchingWindowSeconds?: number;
  readonly functionTimeoutSeconds?: number;
  readonly visibilityTimeoutSeconds?: number;
  readonly maxReceiveCount?: number;
  readonly concurrency?: number;
  readonly devices?: number;
  readonly ratePerSecond?: number;
  readonly formats?: readonly MessageFormat[];
  readonly malformedShare?: number;
  /** Handler log level (POWERTOOLS_LOG_LEVEL). @default 'WARN' (the CLI passes ERROR unless asked) */
  readonly handlerLogLevel?: string;
  /** Extra environment for the handler (e.g. EXTRA_LABELS), set before it is imported. */
  readonly handlerEnvironment?: Readonly<Record<string, string>>;
  readonly onInvocationError?: (error: unknown) => void;
}

export interface LocalBridgeStatus {
  readonly elapsedMs: number;
  /** Messages the simulator had confirmed sent. */
  readonly sent: number;
  readonly malformedSent: number;
  /** Messages the handler acknowledged (deleted from the source queue). */
  readonly processed: number;
  readonly invocations: number;
  readonly failedRecords: number;
  /** Messages processed per second over the last status interval. */
  readonly throughput: number;
  /** now − SentTimestamp of the oldest record of the latest invocation. */
  readonly lagMs: number | undefined;
  /** Messages waiting (visible + in flight) in the source queue. */
  readonly backlog: number;
  /** Messages in the dead-letter queue. */
  readonly deadLettered: number;
}

export interface LocalBridge {
  readonly sqsEndpoint: string;
  readonly region: string;
  readonly queues: QueuePair;
  readonly remoteWriteUrl: string;
  /** Undefined when an external receiver was given. */
  readonly prometheusUrl: string | undefined;
  readonly prometheus: PrometheusServer | undefined;
  /** A PromQL query that shows the simulated data. */
  readonly exampleQuery: string;
  /** A PromQL query over the labels the readings route takes from the topic; undefined without that fleet. */
  readonly readingsQuery: string | undefined;
  status(): Promise<LocalBridgeStatus>;
  /** Stops the simulator (the rest keeps running so the backlog drains). */
  stopSimulator(): Promise<SimulateSummary>;
  /** Waits until the source queue is empty or the timeout passes; true when empty. */
  drain(timeoutMs: number): Promise<boolean>;
  /** Samples of the simulated metrics Prometheus holds (undefined with an external receiver). */
  samplesInPrometheus(): Promise<number | undefined>;
  stop(): Promise<void>;
}

export const DEFAULT_HANDLER_PATH = join(
  new URL('../..', import.meta.url).pathname,
  'dist',
  'ingest',
  'index.mjs',
);

export const EXAMPLE_QUERY = 'avg by (site) (temperature_celsius)';
/** Open doors per site: door_open comes from the readings fleet only, its labels from telemetry/<site>/<device>. */
export const READINGS_QUERY = 'sum by (site) (door_open)';
// count_over_time drops __name__, so the metrics are counted one by one and added up.
const SAMPLE_COUNT_QUERY = ['temperature_celsius', 'humidity_percent', 'battery_percent', 'door_open']
  .map((name) => `(sum(count_over_time(${name}[1h])) or vector(0))`)
  .join(' + ');

async function ensureBundle(path: string, rebuild: boolean, log: (line: string) => void): Promise<void> {
  if (existsSync(path) && !rebuild) return;
  if (path !== DEFAULT_HANDLER_PATH) {
    throw new CliError(`the handler bundle ${path} does not exist`, ExitCode.prerequisite);
  }
  log('building the handler bundle (npm run build)…');
  try {
    const { bundleIngest, projectRoot } = await import('../../scripts/ingest-bundle.js');
    await bundleIngest({ outDir: join(projectRoot, 'dist', 'ingest') });
  } catch (error) {
    throw new CliError(
      `cannot build the handler bundle (${(error as Error).message}); run \`npm ci && npm run build\` and retry`,
      ExitCode.prerequisite,
      { cause: error },
    );
  }
}

/** True when the bundle reads routes files (a bundle built before routes has no routes file path in it). */
function bundleReadsRoutes(handlerPath: string): boolean {
  return readFileSync(handlerPath, 'utf8').includes(DEFAULT_ROUTES_FILE.slice('/opt/'.length));
}

/** The formats to simulate: the readings fleet only when the handler reads the routes file that routes it. */
function simulatedFormats(
  options: LocalBridgeOptions,
  readsRoutes: boolean,
  log: (line: string) => void,
): readonly MessageFormat[] {
  const formats = options.formats && options.formats.length > 0 ? options.formats : MESSAGE_FORMATS;
  if (readsRoutes || !formats.includes('readings')) return formats;
  log('the handler bundle predates routes (run `npm run build`): the readings fleet is left out');
  return formats.filter((format) => format !== 'readings');
}

/** Writes routes.json of the local readings route; the handler finds it through ROUTES_FILE. */
function writeLocalRoutesFile(cleanups: Cleanups): string {
  const dir = mkdtempSync(join(tmpdir(), 'iotprom-local-routes-'));
  cleanups.add(async () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'routes.json');
  writeFileSync(file, routesFileText([LOCAL_READINGS_ROUTE]));
  return file;
}

/** Steps to undo, newest first, when start-up fails or the bridge stops. */
class Cleanups {
  private readonly steps: Array<() => Promise<void>> = [];

  add(step: () => Promise<void>): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.steps.reverse()) await step().catch(() => undefined);
    this.steps.length = 0;
  }
}

async function startLocalSqs(options: LocalBridgeOptions): Promise<SqsServer> {
  try {
    return await startSqsServer({
      ...(options.sqsPort !== undefined ? { port: options.sqsPort } : {}),
      region: options.region ?? 'us-east-1',
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new CliError(
        `port ${String(options.sqsPort)} on 127.0.0.1 is already in use (another \`iotprom local\`?): stop it, ` +
          'or pass --sqs-port <another port> (0 = any free port)',
        ExitCode.portInUse,
        { cause: error },
      );
    }
    throw error;
  }
}

async function startReceiver(
  options: LocalBridgeOptions,
): Promise<{ remoteWriteUrl: string; prometheus: PrometheusServer | undefined }> {
  if (options.remoteWriteUrl !== undefined) {
    return { remoteWriteUrl: options.remoteWriteUrl, prometheus: undefined };
  }
  const binary = options.prometheusBinary ?? 'prometheus';
  try {
    const prometheus = await startPrometheus({
      binary,
      outOfOrderTimeWindow: options.outOfOrderTimeWindow ?? '10m',
    });
    return { remoteWriteUrl: prometheus.remoteWriteUrl, prometheus };
  } catch (error) {
    const message = (error as Error).message;
    if (/not found/.test(message)) {
      throw new CliError(
        `Prometheus is not installed (no \`${binary}\` on PATH). Install it:\n` +
          '  Debian/Ubuntu: sudo apt-get install prometheus   (then `sudo systemctl stop prometheus` if you do not want the service)\n' +
          '  macOS:         brew install prometheus\n' +
          '  any system:    download from https://prometheus.io/download/ and put `prometheus` on PATH\n' +
          'or pass --prometheus <path>, or --remote-write-url <url> to use another receiver.',
        ExitCode.prerequisite,
        { cause: error },
      );
    }
    throw new CliError(`cannot start Prometheus: ${message}`, ExitCode.prerequisite, { cause: error });
  }
}

/** Imports the built handler the way a Lambda cold start does: configuration first, then the module. */
async function loadHandler(
  options: LocalBridgeOptions,
  handlerPath: string,
  environment: Readonly<Record<string, string>>,
): Promise<SqsHandler> {
  Object.assign(process.env, {
    REMOTE_WRITE_AUTH: process.env.REMOTE_WRITE_AUTH ?? 'none',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_LAMBDA_FUNCTION_NAME: 'iot-prometheus-bridge-ingest',
    POWERTOOLS_LOG_LEVEL: options.handlerLogLevel ?? 'WARN',
    POWERTOOLS_METRICS_DISABLED: 'true',
    // The handler logs through the global console, which goes to stderr below: stdout stays ours.
    POWERTOOLS_DEV: 'true',
    ...environment,
    ...options.handlerEnvironment,
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });
  let handlerModule: { handler?: unknown };
  try {
    handlerModule = (await import(pathToFileURL(handlerPath).href)) as { handler?: unknown };
  } catch (error) {
    throw new CliError(
      `the handler bundle ${handlerPath} failed to load: ${(error as Error).message}`,
      ExitCode.prerequisite,
      { cause: error },
    );
  }
  if (typeof handlerModule.handler !== 'function') {
    throw new CliError(`${handlerPath} does not export a handler function`, ExitCode.prerequisite);
  }
  return handlerModule.handler as SqsHandler;
}

interface BridgeParts {
  readonly sqsServer: SqsServer;
  readonly sqs: SQSClient;
  readonly queues: QueuePair;
  readonly remoteWriteUrl: string;
  readonly prometheus: PrometheusServer | undefined;
  readonly poller: EventSourcePoller;
  readonly cleanups: Cleanups;
  readonly formats: readonly MessageFormat[];
}

/** The running bridge: its parts, the simulator feeding it, and the figures of its status line. */
class RunningLocalBridge implements LocalBridge {
  readonly sqsEndpoint: string;
  readonly region: string;
  readonly queues: QueuePair;
  readonly remoteWriteUrl: string;
  readonly prometheusUrl: string | undefined;
  readonly prometheus: PrometheusServer | undefined;
  readonly exampleQuery = EXAMPLE_QUERY;
  readonly readingsQuery: string | undefined;
  private readonly started = Date.now();
  private readonly simulatorAbort = new AbortController();
  private readonly simulation: Promise<SimulateSummary>;
  private simulated = { sent: 0, failed: 0 };
  private malformedSent: number | undefined;
  private lastProcessed = 0;
  private lastAt = Date.now();

  constructor(
    private readonly parts: BridgeParts,
    options: LocalBridgeOptions,
  ) {
    this.sqsEndpoint = parts.sqsServer.endpoint;
    this.region = parts.sqsServer.region;
    this.queues = parts.queues;
    this.remoteWriteUrl = parts.remoteWriteUrl;
    this.prometheus = parts.prometheus;
    this.prometheusUrl = parts.prometheus?.url;
    this.readingsQuery = parts.formats.includes('readings') ? READINGS_QUERY : undefined;
    this.simulation = simulate({
      sqs: parts.sqs,
      queueUrl: parts.queues.queueUrl,
      devices: options.devices ?? 20,
      ratePerSecond: options.ratePerSecond ?? 50,
      durationSeconds: Number.POSITIVE_INFINITY,
      formats: parts.formats,
      malformedShare: options.malformedShare ?? 0.05,
      signal: this.simulatorAbort.signal,
      onProgress: (p) => {
        this.simulated = p;
      },
    });
    parts.cleanups.add(async () => {
      await this.stopSimulator();
    });
  }

  async status(): Promise<LocalBridgeStatus> {
    const { sqs, poller, queues } = this.parts;
    const stats = poller.stats();
    const [source, dead] = await Promise.all([
      queueDepth(sqs, queues.queueUrl),
      queueDepth(sqs, queues.deadLetterQueueUrl),
    ]);
    const now = Date.now();
    const throughput = ((stats.deleted - this.lastProcessed) / Math.max(1, now - this.lastAt)) * 1000;
    this.lastProcessed = stats.deleted;
    this.lastAt = now;
    return {
      elapsedMs: now - this.started,
      sent: this.simulated.sent,
      malformedSent: this.malformedSent ?? 0,
      processed: stats.deleted,
      invocations: stats.invocations,
      failedRecords: stats.failed,
      throughput: Math.round(throughput * 10) / 10,
      lagMs: stats.lastLagMs,
      backlog: (source?.visible ?? 0) + (source?.inFlight ?? 0),
      deadLettered: (dead?.visible ?? 0) + (dead?.inFlight ?? 0),
    };
  }

  async stopSimulator(): Promise<SimulateSummary> {
    this.simulatorAbort.abort();
    const summary = await this.simulation;
    this.malformedSent = summary.malformed;
    return summary;
  }

  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const depth = await queueDepth(this.parts.sqs, this.queues.queueUrl);
      if (depth !== undefined && depth.visible + depth.inFlight === 0) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async samplesInPrometheus(): Promise<number | undefined> {
    if (this.prometheus === undefined) return undefined;
    const series = await this.prometheus.query(SAMPLE_COUNT_QUERY);
    return series[0]?.samples[0]?.value ?? 0;
  }

  stop(): Promise<void> {
    return this.parts.cleanups.run();
  }
}

async function startParts(
  options: LocalBridgeOptions,
  log: (line: string) => void,
  cleanups: Cleanups,
): Promise<BridgeParts> {
  // The port first: a clash is the likeliest mistake and the cheapest to report.
  const sqsServer = await startLocalSqs(options);
  cleanups.add(() => sqsServer.stop());
  const handlerPath = options.handlerPath ?? DEFAULT_HANDLER_PATH;
  await ensureBundle(handlerPath, options.rebuild === true, log);
  const { remoteWriteUrl, prometheus } = await startReceiver(options);
  if (prometheus !== undefined) cleanups.add(() => prometheus.stop());
  const functionTimeoutSeconds = options.functionTimeoutSeconds ?? 10;
  const queues = await sqsServer.createQueuePair(options.queueName ?? 'iotprom-telemetry', {
    maxReceiveCount: options.maxReceiveCount ?? 3,
    // Lambda requires visibility ≥ function timeout; AWS advises 6×. Locally short, so retries show quickly.
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? Math.max(functionTimeoutSeconds, 15),
  });
  const readsRoutes = bundleReadsRoutes(handlerPath);
  const handler = await loadHandler(options, handlerPath, {
    [ROUTES_FILE_VARIABLE]: writeLocalRoutesFile(cleanups),
    REMOTE_WRITE_URL: remoteWriteUrl,
    DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
    AWS_ENDPOINT_URL_SQS: sqsServer.endpoint,
    AWS_REGION: sqsServer.region,
  });
  const sqs = sqsServer.client();
  const poller = startEventSourcePoller({
    sqs,
    queueUrl: queues.queueUrl,
    queueArn: queues.queueArn,
    region: sqsServer.region,
    handler: handler as (...args: Parameters<SqsHandler>) => Promise<SQSBatchResponse>,
    batchSize: options.batchSize ?? 50,
    maximumBatchingWindowSeconds: options.maximumBatchingWindowSeconds ?? 1,
    functionTimeoutSeconds,
    concurrency: options.concurrency ?? 1,
    receiveWaitSeconds: 1,
    onInvocation: (result) => {
      if (result.error !== undefined) options.onInvocationError?.(result.error);
    },
  });
  cleanups.add(() => poller.stop());
  const formats = simulatedFormats(options, readsRoutes, log);
  return { sqsServer, sqs, queues, remoteWriteUrl, prometheus, poller, cleanups, formats };
}

export async function startLocalBridge(
  options: LocalBridgeOptions,
  log: (line: string) => void = () => {},
): Promise<LocalBridge> {
  const cleanups = new Cleanups();
  try {
    return new RunningLocalBridge(await startParts(options, log, cleanups), options);
  } catch (error) {
    await cleanups.run();
    throw error;
  }
}
