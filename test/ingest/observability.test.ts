// Structured logs and EMF metrics of the built bundle, read from stdout as CloudWatch would read them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSqsServer, type SqsServer } from '../../cli/local/sqs-server.js';
import { StrictReceiver } from '../support/strict-receiver.js';
import { lambdaContext, loadBundle, sampleBody, sqsEvent, sqsRecord } from './harness.js';

let sqsServer: SqsServer;
before(async () => {
  sqsServer = await startSqsServer();
  process.env['AWS_ENDPOINT_URL_SQS'] = sqsServer.endpoint;
});
after(async () => {
  await sqsServer.stop();
});

/** Lambda sends both streams to CloudWatch; Powertools writes WARN/ERROR to stderr. */
async function captureOutput<T>(
  body: () => Promise<T>,
): Promise<{ result: T; lines: Record<string, unknown>[] }> {
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write.bind(stream));
  let text = '';
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    }) as typeof stream.write;
  }
  try {
    const result = await body();
    const lines = text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    return { result, lines };
  } finally {
    streams.forEach((stream, i) => (stream.write = originals[i]!));
  }
}

interface Emf {
  _aws: {
    CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }>;
  };
  [key: string]: unknown;
}

test('logs carry request id, cold start, batch size and the receiver answer; EMF metrics have no device dimension', async () => {
  const receiver = await StrictReceiver.start({
    rejectSample: (labels) => (labels.some((l) => l.value === 'poison') ? 'out of bounds' : undefined),
  });
  try {
    const dlq = (await sqsServer.createQueuePair('observability')).deadLetterQueueUrl;
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
