// The function's own logger and EMF writer against Powertools Logger and Metrics (a devDependency kept for this
// test): the same calls, in the same environment, must print the same log keys and values and the same EMF
// documents, so log queries, metric filters and dashboards written for Powertools keep working.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit as PowertoolsUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { EmfMetrics, MetricUnit } from '../../functions/ingest/emf-metrics.js';
import { StructuredLogger } from '../../functions/ingest/structured-logger.js';
import { capturedOutput } from '../support/captured-output.js';

const ENV = {
  POWERTOOLS_SERVICE_NAME: 'iot-prometheus-bridge',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
  AWS_REGION: 'us-east-1',
};
const saved: Record<string, string | undefined> = {};

beforeEach(() => {
  for (const [name, value] of Object.entries(ENV)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  delete process.env['POWERTOOLS_DEV'];
});

afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

/**
 * Lines Powertools writes while `body` runs, parsed: its Console sends WARN and ERROR to stderr, the rest to
 * stdout; Lambda sends both to CloudWatch Logs (the function writes everything to stdout).
 */
async function outputLines(body: () => void): Promise<Record<string, unknown>[]> {
  const { text } = await capturedOutput(body);
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const context = {
  functionName: 'ingest',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:ingest',
  memoryLimitInMB: '512',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
} as Context;

/** The same calls on either logger. */
interface LoggerLike {
  info(message: string, ...extras: unknown[]): void;
  warn(message: string, ...extras: unknown[]): void;
  error(message: string, ...extras: unknown[]): void;
  debug(message: string, ...extras: unknown[]): void;
  appendKeys(keys: Record<string, unknown>): void;
  addContext(context: Context): void;
}

function script(logger: LoggerLike, failure: Error): void {
  logger.info('ingest function configured', { auth: 'sigv4', concurrency: 4 });
  logger.addContext(context);
  logger.appendKeys({ batchSize: 1000 });
  logger.debug('not printed at INFO');
  logger.info('batch planned', { messages: 1000, samples: 3000, requests: 1 });
  logger.warn('receiver answered 429', 'retrying after 2 s');
  logger.error('remote write failed', failure);
  logger.info('second entry after the context', { nested: { a: [1, 2], b: null } });
}

/**
 * Everything but the time of writing, which differs by the run, and `sampling_rate`: the own logger has no debug
 * sampling (structured-logger.ts says why) and so never writes the key Powertools writes as 0.
 */
function comparable(line: Record<string, unknown>): Record<string, unknown> {
  const { timestamp, sampling_rate: samplingRate, ...rest } = line;
  assert.ok(samplingRate === undefined || samplingRate === 0);
  assert.match(String(timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  return rest;
}

describe('Powertools differential', () => {
  test('log entries: the same keys in the same order, the same values', async () => {
    const failure = new Error('connect ECONNREFUSED', { cause: new Error('socket closed') });
    const expected = await outputLines(() => script(new Logger() as unknown as LoggerLike, failure));
    const own: Record<string, unknown>[] = [];
    const logger = new StructuredLogger({
      serviceName: ENV.POWERTOOLS_SERVICE_NAME,
      env: process.env,
      sink: (line) => own.push(JSON.parse(line) as Record<string, unknown>),
    });
    script(logger as unknown as LoggerLike, failure);
    assert.equal(own.length, expected.length);
    own.forEach((line, i) => {
      const powertoolsKeys = Object.keys(expected[i]!).filter((key) => key !== 'sampling_rate');
      assert.deepEqual(Object.keys(line), powertoolsKeys, `keys of entry ${i}`);
      assert.deepEqual(comparable(line), comparable(expected[i]!), `entry ${i}`);
    });
  });

  test('EMF documents: stored metrics, repeated values and a single metric with its own dimension', async () => {
    const run = (
      add: (name: string, value: number) => void,
      single: (name: string, value: number) => void,
      publish: () => void,
    ): void => {
      add('MessagesReceived', 1000);
      add('SamplesWritten', 3000);
      add('RemoteWriteLatency', 12);
      add('RemoteWriteLatency', 15);
      single('MessagesDeadLettered', 2);
      publish();
    };
    const expected = await outputLines(() => {
      const metrics = new Metrics({ namespace: 'IotPrometheusBridge' });
      run(
        (name, value) =>
          metrics.addMetric(
            name,
            name === 'RemoteWriteLatency' ? PowertoolsUnit.Milliseconds : PowertoolsUnit.Count,
            value,
          ),
        (name, value) => {
          const one = metrics.singleMetric();
          one.addDimension('ErrorKind', 'invalid-message');
          one.addMetric(name, PowertoolsUnit.Count, value);
        },
        () => metrics.publishStoredMetrics(),
      );
    });
    const own: Record<string, unknown>[] = [];
    const metrics = new EmfMetrics({
      namespace: 'IotPrometheusBridge',
      serviceName: ENV.POWERTOOLS_SERVICE_NAME,
      env: process.env,
      sink: (line) => own.push(JSON.parse(line) as Record<string, unknown>),
    });
    run(
      (name, value) =>
        metrics.addMetric(
          name,
          name === 'RemoteWriteLatency' ? MetricUnit.Milliseconds : MetricUnit.Count,
          value,
        ),
      (name, value) => {
        const one = metrics.singleMetric();
        one.addDimension('ErrorKind', 'invalid-message');
        one.addMetric(name, MetricUnit.Count, value);
      },
      () => metrics.publishStoredMetrics(),
    );
    const withoutTime = (document: Record<string, unknown>): unknown => {
      const aws = document['_aws'] as Record<string, unknown>;
      assert.equal(typeof aws['Timestamp'], 'number');
      return { ...document, _aws: { ...aws, Timestamp: 0 } };
    };
    assert.deepEqual(own.map(withoutTime), expected.map(withoutTime));
  });
});
