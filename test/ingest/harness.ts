// Shared by the ingest tests: loads the BUILT bundle (dist/ingest/index.mjs) under a given environment, and
// builds SQS events and Lambda contexts. The bundle reads its configuration at import (cold start), so each
// configuration gets a fresh module instance through a distinct query string.
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startSqsServer, type SqsServer } from '../../cli/local/sqs-server.js';
import { ROUTES_FILE_VARIABLE, TUNING_VARIABLES, VARIABLES } from '../../functions/interface/index.js';

export type BundleHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export const bundlePath = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'dist',
  'ingest',
  'index.mjs',
);

/** Variables every bundle instance in the tests gets unless a case overrides them. */
export const QUIET_ENV: Record<string, string> = {
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
  // Lambda sets this; Powertools derives cold_start from it.
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  // The tests need no SDK Node-version notice in their output.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

// Every variable of the function's interface, so no case leaks into the next.
const INGEST_VARIABLES = [
  ...Object.values(VARIABLES),
  ...Object.values(TUNING_VARIABLES),
  ROUTES_FILE_VARIABLE,
  'POWERTOOLS_METRICS_DISABLED',
];

let instance = 0;

/**
 * A fresh instance of the built handler configured by `env` (on top of QUIET_ENV). The ingest variables are
 * cleared first, so nothing leaks from one case into the next. AWS_* variables stay set: the SDK reads some
 * lazily, at the first request.
 */
export async function loadBundle(env: Record<string, string>): Promise<BundleHandler> {
  if (!existsSync(bundlePath)) throw new Error(`${bundlePath} is missing: run npm run build first`);
  for (const name of INGEST_VARIABLES) delete process.env[name];
  Object.assign(process.env, QUIET_ENV, env);
  instance += 1;
  const module = (await import(`${pathToFileURL(bundlePath).href}?instance=${instance}`)) as {
    handler: BundleHandler;
  };
  return module.handler;
}

let messageCounter = 0;

export function sqsRecord(
  body: string,
  options: { messageId?: string; sentTimestampMs?: number; receiveCount?: number } = {},
): SQSRecord {
  messageCounter += 1;
  const sent = String(options.sentTimestampMs ?? Date.now());
  return {
    messageId: options.messageId ?? `msg-${messageCounter}`,
    receiptHandle: `receipt-${messageCounter}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: sent,
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: sent,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:telemetry',
    awsRegion: 'us-east-1',
  };
}

export function sqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** A Lambda context whose deadline is `budgetMs` from now. */
export function lambdaContext(budgetMs = 60_000): Context {
  const deadline = Date.now() + budgetMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'ingest',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:ingest',
    memoryLimitInMB: '512',
    awsRequestId: `req-${Math.random().toString(16).slice(2)}`,
    logGroupName: '/aws/lambda/ingest',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A sample-format body. */
export function sampleBody(
  device: string,
  value: number,
  timestampMs: number,
  name = 'temperature_celsius',
): string {
  return JSON.stringify({ name, value, timestamp: timestampMs, labels: { device } });
}

export function failedIds(response: SQSBatchResponse): string[] {
  return response.batchItemFailures.map((failure) => failure.itemIdentifier).sort();
}

/** Fisher-Yates with a seeded generator, so a failing order can be reproduced. */
export function shuffle<T>(items: T[], seed = 1): T[] {
  let state = seed >>> 0 || 1;
  const random = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * One in-process SQS server (fauxqs) for the tests of the calling file, started before them and stopped after,
 * with the SDK pointed at it (the bundle's dead-letter client reads AWS_ENDPOINT_URL_SQS). Returns its getter.
 */
export function sqsServerForFile(): () => SqsServer {
  let server: SqsServer | undefined;
  before(async () => {
    server = await startSqsServer();
    process.env['AWS_ENDPOINT_URL_SQS'] = server.endpoint;
  });
  after(async () => {
    await server?.stop();
  });
  return () => {
    if (server === undefined) throw new Error('the SQS server starts before the tests');
    return server;
  };
}
