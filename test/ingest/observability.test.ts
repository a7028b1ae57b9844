// Structured logs and EMF metrics: the logger and EMF writer on their own (lines captured from their sink or
// from process.stdout), then the built bundle's output read as CloudWatch would read it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  EmfMetrics,
  MAX_METRICS_PER_DOCUMENT,
  MAX_VALUES_PER_METRIC,
  MetricUnit,
  type EmfMetricsOptions,
} from '../../functions/ingest/emf-metrics.js';
import type { LineSeverity } from '../../functions/ingest/log-output.js';
import {
  countMetric,
  createObservability,
  DEFAULT_METRICS_NAMESPACE,
  DEFAULT_SERVICE_NAME,
  recordDeadLettered,
} from '../../functions/ingest/observability.js';
import {
  resolveLogLevel,
  StructuredLogger,
  type LogLevel,
} from '../../functions/ingest/structured-logger.js';
import { capturedOutput } from '../support/captured-output.js';
import { StrictReceiver } from '../support/strict-receiver.js';
import { lambdaContext, loadBundle, sampleBody, sqsEvent, sqsRecord, sqsServerForFile } from './harness.js';

const sqsServer = sqsServerForFile();

/** What `body` writes to stdout and stderr, as its JSON lines (the function writes everything to stdout). */
async function captureOutput<T>(
  body: () => Promise<T>,
): Promise<{ result: T; lines: Record<string, unknown>[] }> {
  const { result, text } = await capturedOutput(body);
  const lines = text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { result, lines };
}

interface Emf {
  _aws: {
    CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }>;
  };
  [key: string]: unknown;
}

const EMF_UNITS = new Set<string>(Object.values(MetricUnit));

/**
 * The checks of the EMF specification (CloudWatch_Embedded_Metric_Format_Specification, its JSON schema and
 * its text): `_aws` with an integer Timestamp and MetricDirectives; each directive has a Namespace, at least
 * one DimensionSet of dimension keys whose root members are strings, and at most 100 MetricDefinitions whose
 * Name refers to a root member holding a number or an array of at most 100 numbers, with a CloudWatch Unit.
 */
function assertValidEmf(document: unknown): asserts document is Emf {
  assert.equal(typeof document, 'object');
  const root = document as Record<string, unknown>;
  const aws = root['_aws'] as Record<string, unknown> | undefined;
  assert.ok(aws && typeof aws === 'object', '_aws missing');
  assert.ok(Number.isInteger(aws['Timestamp']), 'Timestamp must be an integer');
  const directives = aws['CloudWatchMetrics'];
  assert.ok(
    Array.isArray(directives) && directives.length > 0,
    'CloudWatchMetrics must be a non-empty array',
  );
  for (const directive of directives as Array<Record<string, unknown>>) {
    const namespace = directive['Namespace'];
    assert.ok(typeof namespace === 'string' && namespace.length >= 1 && namespace.length <= 255);
    const dimensionSets = directive['Dimensions'];
    assert.ok(Array.isArray(dimensionSets) && dimensionSets.length >= 1, 'Dimensions needs a DimensionSet');
    for (const set of dimensionSets as unknown[]) {
      assert.ok(Array.isArray(set) && set.length <= 30, 'a DimensionSet holds at most 30 keys');
      for (const key of set as unknown[]) {
        assert.equal(typeof key, 'string');
        assert.equal(
          typeof root[key as string],
          'string',
          `dimension ${String(key)} must be a string member`,
        );
      }
    }
    const metrics = directive['Metrics'];
    assert.ok(Array.isArray(metrics) && metrics.length <= MAX_METRICS_PER_DOCUMENT, 'at most 100 metrics');
    for (const metric of metrics as Array<Record<string, unknown>>) {
      const name = metric['Name'];
      assert.ok(typeof name === 'string' && name.length >= 1 && name.length <= 255);
      assert.ok(EMF_UNITS.has(metric['Unit'] as string), `unit ${String(metric['Unit'])}`);
      const value = root[name];
      if (Array.isArray(value)) {
        assert.ok(value.length >= 1 && value.length <= MAX_VALUES_PER_METRIC, `${name}: at most 100 values`);
        for (const v of value) assert.ok(Number.isFinite(v), `${name}: ${String(v)}`);
      } else {
        assert.ok(Number.isFinite(value), `${name} must be a number at the top level`);
      }
    }
  }
}

test('logs carry request id, cold start, batch size and the receiver answer; EMF metrics have no device dimension', async () => {
  const receiver = await StrictReceiver.start({
    rejectSample: (labels) => (labels.some((l) => l.value === 'poison') ? 'out of bounds' : undefined),
  });
  try {
    const dlq = (await sqsServer().createQueuePair('observability')).deadLetterQueueUrl;
    const { lines: coldLines, result: handler } = await captureOutput(() =>
      loadBundle({
        REMOTE_WRITE_URL: receiver.url,
        DEAD_LETTER_QUEUE_URL: dlq,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        POWERTOOLS_METRICS_DISABLED: 'false',
        RETRY_BASE_DELAY_MS: '1',
      }),
    );
    assert.ok(coldLines.some((line) => line['message'] === 'ingest function configured'));
    receiver.enqueueFaults({ kind: 'status', status: 503, body: 'ingester unavailable: shard 7' });
    const now = Date.now() - 60_000;
    const records = [
      sqsRecord(sampleBody('obs-1', 1, now)),
      sqsRecord(sampleBody('obs-2', 2, now)),
      sqsRecord(sampleBody('poison', 3, now)),
      sqsRecord('nope'),
    ];
    const context = lambdaContext();
    const { lines, result } = await captureOutput(() => handler(sqsEvent(records), context));
    assert.deepEqual(result, { batchItemFailures: [] });

    const done = lines.find((line) => line['message'] === 'batch done');
    assert.ok(done, JSON.stringify(lines));
    assert.equal(done['function_request_id'], context.awsRequestId);
    assert.equal(done['cold_start'], true);
    assert.equal(done['batchSize'], 4);
    assert.equal(done['deadLettered'], 2);
    const failure = lines.find((line) => line['receiverStatus'] === 503);
    assert.equal(failure?.['receiverError'], 'ingester unavailable: shard 7');

    const emf = lines.filter((line) => '_aws' in line) as unknown as Emf[];
    emf.forEach((document) => assertValidEmf(document));
    for (const line of lines.filter((l) => !('_aws' in l))) {
      for (const key of ['level', 'message', 'timestamp', 'service', 'function_request_id']) {
        assert.ok(key in line, `${key} missing in ${JSON.stringify(line)}`);
      }
    }
    const names = new Set(
      emf.flatMap((blob) => blob._aws.CloudWatchMetrics.flatMap((m) => m.Metrics.map((x) => x.Name))),
    );
    for (const name of [
      'MessagesReceived',
      'SamplesWritten',
      'SeriesWritten',
      'RemoteWriteRequests',
      'RemoteWriteRetries',
      'RemoteWriteLatency',
      'MessagesDeadLettered',
      'BatchItemFailures',
      'SamplesDeduplicated',
      'IngestLag',
    ]) {
      assert.ok(names.has(name), `metric ${name} missing`);
    }
    for (const blob of emf) {
      assert.equal(blob._aws.CloudWatchMetrics[0]?.Namespace, 'IotPrometheusBridge');
      const dimensions = blob._aws.CloudWatchMetrics.flatMap((m) => m.Dimensions.flat());
      assert.ok(!dimensions.includes('device'));
    }
    const deadLettered = emf.filter((blob) => blob['MessagesDeadLettered'] !== undefined);
    assert.deepEqual(deadLettered.map((blob) => [blob['ErrorKind'], blob['MessagesDeadLettered']]).sort(), [
      ['invalid-message', 1],
      ['rejected-by-receiver', 1],
    ]);
    const main = emf.find((blob) => blob['MessagesReceived'] !== undefined);
    assert.equal(main?.['MessagesReceived'], 4);
    assert.equal(main?.['SamplesWritten'], 2);

    // The second invocation of the same instance is warm.
    const { lines: warm } = await captureOutput(() =>
      handler(sqsEvent([sqsRecord(sampleBody('obs-1', 5, now + 1000))]), lambdaContext()),
    );
    assert.equal(warm.find((line) => line['message'] === 'batch done')?.['cold_start'], false);
  } finally {
    await receiver.close();
  }
});

interface Captured {
  readonly lines: string[];
  readonly severities: LineSeverity[];
  readonly sink: (line: string, severity: LineSeverity) => void;
  json(): Record<string, unknown>[];
}

function capture(): Captured {
  const lines: string[] = [];
  const severities: LineSeverity[] = [];
  return {
    lines,
    severities,
    sink: (line, severity) => {
      lines.push(line);
      severities.push(severity);
    },
    json: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

function loggerWith(env: Record<string, string>): { logger: StructuredLogger; out: Captured } {
  const out = capture();
  return { logger: new StructuredLogger({ serviceName: 'svc', env, sink: out.sink }), out };
}

/** Every level's method, called once each; the levels whose lines came out, in order. */
function emittedLevels(env: Record<string, string>): string[] {
  const { logger, out } = loggerWith(env);
  logger.trace('t');
  logger.debug('d');
  logger.info('i');
  logger.warn('w');
  logger.error('e');
  logger.critical('c');
  return out.json().map((line) => line['level'] as string);
}

describe('structured logger', () => {
  const context = {
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:ingest',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    functionName: 'ingest',
    memoryLimitInMB: '512',
  };

  test('one JSON line per entry with the keys Powertools writes, appended keys and per-call extras', () => {
    const { logger, out } = loggerWith({
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
    });
    logger.addContext(context);
    logger.appendKeys({ batchSize: 4, level: 'ignored: reserved' });
    logger.info(
      'batch done',
      { samples: 10, nested: { a: 1 }, message: 'reserved too', empty: '' },
      'and text',
    );
    assert.equal(out.lines.length, 1);
    assert.ok(!out.lines[0]!.includes('\n'), 'one line');
    const line = out.json()[0]!;
    assert.deepEqual(Object.keys(line).slice(0, 10), [
      'level',
      'message',
      'timestamp',
      'service',
      'cold_start',
      'function_arn',
      'function_memory_size',
      'function_name',
      'function_request_id',
      'xray_trace_id',
    ]);
    assert.equal(line['level'], 'INFO');
    assert.equal(line['message'], 'batch done');
    assert.equal(new Date(line['timestamp'] as string).toISOString(), line['timestamp']);
    assert.equal(line['service'], 'svc');
    assert.equal(line['cold_start'], true);
    assert.equal(line['function_arn'], context.invokedFunctionArn);
    assert.equal(line['function_memory_size'], '512');
    assert.equal(line['function_name'], 'ingest');
    assert.equal(line['function_request_id'], context.awsRequestId);
    assert.equal(line['xray_trace_id'], '1-5759e988-bd862e3fe1be46a994272793');
    assert.equal(line['batchSize'], 4);
    assert.equal(line['samples'], 10);
    assert.deepEqual(line['nested'], { a: 1 });
    assert.equal(line['extra'], 'and text');
    assert.ok(!('empty' in line), 'empty values are left out');

    logger.resetKeys();
    logger.warn('after reset');
    const next = out.json()[1]!;
    assert.ok(!('batchSize' in next));
    assert.equal(next['function_request_id'], context.awsRequestId, 'the context stays until the next one');
  });

  test('before addContext and without a trace id, the function_* and xray keys are absent', () => {
    const { logger, out } = loggerWith({});
    logger.info('ingest function configured', { concurrency: 4 });
    const line = out.json()[0]!;
    assert.deepEqual(Object.keys(line), ['level', 'message', 'timestamp', 'service', 'concurrency']);
  });

  test('the default sink writes each entry with process.stdout.write as one line', () => {
    const original = process.stdout.write.bind(process.stdout);
    const chunks: string[] = [];
    process.stdout.write = ((chunk: string | Uint8Array) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }) as typeof process.stdout.write;
    try {
      const logger = new StructuredLogger({ serviceName: 'svc', env: {} });
      logger.error('to stdout', { a: 1 });
      const metrics = new EmfMetrics({ namespace: 'Ns', serviceName: 'svc', env: {} });
      metrics.addMetric('M', MetricUnit.Count, 1).publishStoredMetrics();
    } finally {
      process.stdout.write = original;
    }
    assert.equal(chunks.length, 2);
    for (const chunk of chunks) {
      assert.ok(chunk.endsWith('\n') && chunk.indexOf('\n') === chunk.length - 1, chunk);
      JSON.parse(chunk);
    }
  });

  test('POWERTOOLS_DEV writes through the global console (iotprom local points it at stderr), indented', () => {
    const original = { log: console.log, warn: console.warn, error: console.error };
    const seen: string[] = [];
    console.log = (line: string) => seen.push(`log ${line}`);
    console.warn = (line: string) => seen.push(`warn ${line}`);
    console.error = (line: string) => seen.push(`error ${line}`);
    try {
      const logger = new StructuredLogger({ serviceName: 'svc', env: { POWERTOOLS_DEV: 'true' } });
      logger.info('i');
      logger.warn('w');
      logger.error('e', new Error('boom'));
    } finally {
      Object.assign(console, original);
    }
    assert.deepEqual(
      seen.map((line) => line.split(' ')[0]),
      ['log', 'warn', 'error'],
    );
    const error = JSON.parse(seen[2]!.slice('error '.length)) as { error: { stack: unknown } };
    assert.ok(seen[2]!.includes('\n    "level"'), 'pretty-printed in dev mode');
    assert.ok(Array.isArray(error.error.stack), 'dev mode splits the stack into lines');
  });

  test('levels: POWERTOOLS_LOG_LEVEL, then LOG_LEVEL, default INFO; SILENT writes nothing', () => {
    assert.deepEqual(emittedLevels({}), ['INFO', 'WARN', 'ERROR', 'CRITICAL']);
    assert.deepEqual(emittedLevels({ POWERTOOLS_LOG_LEVEL: 'WARN' }), ['WARN', 'ERROR', 'CRITICAL']);
    assert.deepEqual(emittedLevels({ POWERTOOLS_LOG_LEVEL: 'TRACE' }), [
      'TRACE',
      'DEBUG',
      'INFO',
      'WARN',
      'ERROR',
      'CRITICAL',
    ]);
    assert.deepEqual(emittedLevels({ LOG_LEVEL: 'DEBUG' }), ['DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL']);
    assert.deepEqual(emittedLevels({ LOG_LEVEL: 'error' }), ['ERROR', 'CRITICAL'], 'case does not matter');
    assert.deepEqual(emittedLevels({ POWERTOOLS_LOG_LEVEL: 'ERROR', LOG_LEVEL: 'DEBUG' }), [
      'ERROR',
      'CRITICAL',
    ]);
    assert.deepEqual(emittedLevels({ POWERTOOLS_LOG_LEVEL: 'loud', LOG_LEVEL: 'WARN' }), [
      'WARN',
      'ERROR',
      'CRITICAL',
    ]);
    assert.deepEqual(emittedLevels({ POWERTOOLS_LOG_LEVEL: 'CRITICAL' }), ['CRITICAL']);
    assert.deepEqual(emittedLevels({ POWERTOOLS_LOG_LEVEL: 'SILENT' }), []);
  });

  test("levels: Lambda's AWS_LAMBDA_LOG_LEVEL wins when it is stricter, FATAL meaning CRITICAL", () => {
    const cases: Array<[Record<string, string>, LogLevel]> = [
      [{ AWS_LAMBDA_LOG_LEVEL: 'WARN' }, 'WARN'],
      [{ POWERTOOLS_LOG_LEVEL: 'DEBUG', AWS_LAMBDA_LOG_LEVEL: 'ERROR' }, 'ERROR'],
      [{ LOG_LEVEL: 'DEBUG', AWS_LAMBDA_LOG_LEVEL: 'INFO' }, 'INFO'],
      [{ POWERTOOLS_LOG_LEVEL: 'WARN', AWS_LAMBDA_LOG_LEVEL: 'DEBUG' }, 'WARN'],
      [{ AWS_LAMBDA_LOG_LEVEL: 'FATAL' }, 'CRITICAL'],
      [{ AWS_LAMBDA_LOG_LEVEL: 'nonsense' }, 'INFO'],
    ];
    for (const [env, level] of cases) assert.equal(resolveLogLevel(env), level, JSON.stringify(env));
    assert.deepEqual(emittedLevels({ POWERTOOLS_LOG_LEVEL: 'DEBUG', AWS_LAMBDA_LOG_LEVEL: 'ERROR' }), [
      'ERROR',
      'CRITICAL',
    ]);
  });

  test('cold_start is true for the first invocation of an on-demand instance only', () => {
    const { logger, out } = loggerWith({ AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand' });
    for (let i = 0; i < 3; i++) {
      logger.addContext({ ...context, awsRequestId: `req-${i}` });
      logger.info('batch done');
      logger.info('second line of the same invocation');
    }
    assert.deepEqual(
      out.json().map((line) => line['cold_start']),
      [true, true, false, false, false, false],
    );
    // Provisioned concurrency (and SnapStart) initialise before any request: no invocation is cold.
    const provisioned = loggerWith({ AWS_LAMBDA_INITIALIZATION_TYPE: 'provisioned-concurrency' });
    provisioned.logger.addContext(context);
    provisioned.logger.info('x');
    assert.equal(provisioned.out.json()[0]!['cold_start'], false);
  });

  test('an Error becomes {name, location, message, stack} under `error`, with its cause and own keys', () => {
    const { logger, out } = loggerWith({});
    const cause = new TypeError('socket hang up');
    const error = Object.assign(new RangeError('bad batch', { cause }), { code: 'E_BATCH' });
    logger.error('unexpected failure; the whole batch returns to the queue', error);
    const line = out.json()[0]!;
    const logged = line['error'] as Record<string, unknown>;
    assert.equal(logged['name'], 'RangeError');
    assert.equal(logged['message'], 'bad batch');
    assert.equal(logged['stack'], error.stack);
    assert.match(logged['location'] as string, /observability\.test\.ts:\d+$/);
    assert.equal(logged['code'], 'E_BATCH');
    const loggedCause = logged['cause'] as Record<string, unknown>;
    assert.equal(loggedCause['name'], 'TypeError');
    assert.equal(loggedCause['message'], 'socket hang up');
    assert.equal(out.severities[0], 'error');
  });

  test('errors nested in extras are formatted; bigints and circular references do not throw', () => {
    const { logger, out } = loggerWith({});
    const circular: Record<string, unknown> = { name: 'loop' };
    circular['self'] = circular;
    logger.warn('odd values', { failure: new Error('inner'), big: 2n ** 70n, circular });
    const line = out.json()[0]!;
    assert.equal((line['failure'] as Record<string, unknown>)['message'], 'inner');
    assert.equal(line['big'], (2n ** 70n).toString());
    assert.deepEqual(line['circular'], { name: 'loop' });
  });
});

describe('EMF metrics', () => {
  function metricsWith(options: Partial<EmfMetricsOptions> = {}): { metrics: EmfMetrics; out: Captured } {
    const out = capture();
    const metrics = new EmfMetrics({
      namespace: 'IotPrometheusBridge',
      serviceName: 'svc',
      env: {},
      sink: out.sink,
      now: () => 1_700_000_000_123,
      ...options,
    });
    return { metrics, out };
  }

  test('one document in the specified shape: namespace, service dimension, units, values at the top level', () => {
    const { metrics, out } = metricsWith();
    metrics.addMetric('MessagesReceived', MetricUnit.Count, 4);
    metrics.addMetric('IngestLag', MetricUnit.Milliseconds, 1500);
    metrics.publishStoredMetrics();
    assert.equal(out.lines.length, 1);
    const document = out.json()[0]!;
    assertValidEmf(document);
    assert.deepEqual(document, {
      _aws: {
        Timestamp: 1_700_000_000_123,
        CloudWatchMetrics: [
          {
            Namespace: 'IotPrometheusBridge',
            Dimensions: [['service']],
            Metrics: [
              { Name: 'MessagesReceived', Unit: 'Count' },
              { Name: 'IngestLag', Unit: 'Milliseconds' },
            ],
          },
        ],
      },
      service: 'svc',
      MessagesReceived: 4,
      IngestLag: 1500,
    });
  });

  test('nothing stored writes nothing; publishing clears the store', () => {
    const { metrics, out } = metricsWith();
    metrics.publishStoredMetrics();
    assert.equal(out.lines.length, 0);
    metrics.addMetric('A', MetricUnit.Count, 1).publishStoredMetrics().publishStoredMetrics();
    assert.equal(out.lines.length, 1);
    assert.equal(metrics.hasStoredMetrics(), false);
  });

  test('repeated values of one metric become an array, in order; non-finite values are dropped', () => {
    const { metrics, out } = metricsWith();
    for (const latency of [12, 7, 30])
      metrics.addMetric('RemoteWriteLatency', MetricUnit.Milliseconds, latency);
    metrics.addMetric('RemoteWriteLatency', MetricUnit.Milliseconds, Number.NaN);
    metrics.addMetric('Broken', MetricUnit.Count, Number.POSITIVE_INFINITY);
    metrics.publishStoredMetrics();
    const document = out.json()[0]!;
    assertValidEmf(document);
    assert.deepEqual(document['RemoteWriteLatency'], [12, 7, 30]);
    assert.ok(!('Broken' in document));
    assert.deepEqual(
      document._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name),
      ['RemoteWriteLatency'],
    );
  });

  test('more than 100 metrics are split over documents of at most 100, each metric in exactly one', () => {
    const { metrics, out } = metricsWith();
    for (let i = 0; i < 250; i++) metrics.addMetric(`Metric${i}`, MetricUnit.Count, i);
    metrics.publishStoredMetrics();
    const documents = out.json();
    assert.deepEqual(
      documents.map((d) => (d as unknown as Emf)._aws.CloudWatchMetrics[0]!.Metrics.length),
      [100, 100, 50],
    );
    const seen = new Map<string, unknown>();
    for (const document of documents) {
      assertValidEmf(document);
      for (const { Name } of document._aws.CloudWatchMetrics[0]!.Metrics) {
        assert.ok(!seen.has(Name), `${Name} twice`);
        seen.set(Name, document[Name]);
      }
    }
    assert.equal(seen.size, 250);
    for (let i = 0; i < 250; i++) assert.equal(seen.get(`Metric${i}`), i);
  });

  test('more than 100 values of one metric are split into arrays of at most 100, keeping their order', () => {
    const { metrics, out } = metricsWith();
    for (let i = 0; i < 250; i++) metrics.addMetric('RemoteWriteLatency', MetricUnit.Milliseconds, i);
    metrics.addMetric('RemoteWriteRequests', MetricUnit.Count, 250);
    metrics.publishStoredMetrics();
    const documents = out.json();
    documents.forEach((document) => assertValidEmf(document));
    const values = documents.flatMap((d) => {
      const v = d['RemoteWriteLatency'];
      return Array.isArray(v) ? (v as number[]) : [v as number];
    });
    assert.deepEqual(
      values,
      Array.from({ length: 250 }, (_, i) => i),
    );
    assert.deepEqual(
      documents.map((d) => d['RemoteWriteRequests']),
      [250, undefined, undefined],
    );
  });

  test('singleMetric publishes at once with its extra dimension (plus service); stored metrics are untouched', () => {
    const { metrics, out } = metricsWith();
    metrics.addMetric('MessagesReceived', MetricUnit.Count, 3);
    const single = metrics.singleMetric();
    single.addDimension('ErrorKind', 'invalid-message');
    single.addMetric('MessagesDeadLettered', MetricUnit.Count, 2);
    assert.equal(out.lines.length, 1, 'published on addMetric');
    const dead = out.json()[0]!;
    assertValidEmf(dead);
    assert.deepEqual(dead._aws.CloudWatchMetrics[0]!.Dimensions, [['service', 'ErrorKind']]);
    assert.equal(dead['ErrorKind'], 'invalid-message');
    assert.equal(dead['service'], 'svc');
    assert.equal(dead['MessagesDeadLettered'], 2);
    assert.ok(!('MessagesReceived' in dead));

    metrics.publishStoredMetrics();
    const main = out.json()[1]!;
    assertValidEmf(main);
    assert.deepEqual(main._aws.CloudWatchMetrics[0]!.Dimensions, [['service']]);
    assert.ok(!('ErrorKind' in main));
    assert.equal(main['MessagesReceived'], 3);
  });

  test('POWERTOOLS_METRICS_DISABLED, and POWERTOOLS_DEV unless metrics are enabled explicitly, write nothing', () => {
    const cases: Array<[Record<string, string>, number]> = [
      [{ POWERTOOLS_METRICS_DISABLED: 'true' }, 0],
      [{ POWERTOOLS_METRICS_DISABLED: '1' }, 0],
      [{ POWERTOOLS_METRICS_DISABLED: 'false' }, 1],
      [{ POWERTOOLS_DEV: 'true' }, 0],
      [{ POWERTOOLS_DEV: 'true', POWERTOOLS_METRICS_DISABLED: 'false' }, 1],
      [{}, 1],
    ];
    for (const [env, lines] of cases) {
      const { metrics, out } = metricsWith({ env });
      metrics.addMetric('A', MetricUnit.Count, 1);
      metrics.singleMetric().addMetric('B', MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
      assert.equal(out.lines.length, lines * 2, JSON.stringify(env));
      assert.equal(metrics.hasStoredMetrics(), false);
    }
  });
});

test('createObservability reads the Powertools variables: service name, namespace, level', () => {
  const defaults = createObservability({});
  assert.equal(defaults.logger.serviceName, DEFAULT_SERVICE_NAME);
  assert.equal(defaults.logger.level, 'INFO');
  assert.equal(defaults.metrics.namespace, DEFAULT_METRICS_NAMESPACE);
  assert.equal(defaults.metrics.serviceName, DEFAULT_SERVICE_NAME);
  const custom = createObservability({
    POWERTOOLS_SERVICE_NAME: 'plant-bridge',
    POWERTOOLS_METRICS_NAMESPACE: 'Plant',
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  assert.equal(custom.logger.serviceName, 'plant-bridge');
  assert.equal(custom.logger.level, 'DEBUG');
  assert.equal(custom.metrics.namespace, 'Plant');
  assert.equal(custom.metrics.serviceName, 'plant-bridge');
  assert.equal(custom.metrics.disabled, true);
});

test('countMetric and recordDeadLettered write valid EMF to stdout (none for zero dead letters)', async () => {
  const { metrics } = createObservability({ POWERTOOLS_SERVICE_NAME: 'svc' });
  const { lines } = await captureOutput(async () => {
    countMetric(metrics, 'MessagesReceived', 7);
    recordDeadLettered(metrics, 'invalid-message', 0);
    recordDeadLettered(metrics, 'rejected-by-receiver', 2);
    metrics.publishStoredMetrics();
  });
  assert.equal(lines.length, 2);
  lines.forEach((line) => assertValidEmf(line));
  const [dead, main] = lines as unknown as [Emf, Emf];
  assert.equal(dead['ErrorKind'], 'rejected-by-receiver');
  assert.equal(dead['MessagesDeadLettered'], 2);
  assert.equal(main['MessagesReceived'], 7);
});
