// Operator mistakes through the real bin: one line saying what to do, the documented exit code, and no
// stack trace. Every endpoint here is on loopback.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { describeFailure } from '../../cli/errors.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { startSqsServer, type SqsServer } from '../../cli/local/sqs-server.js';
import { regionFromQueueUrl } from '../../cli/sqs/client.js';
import { cleanEnvironment, iotprom, isOneLine } from './support/iotprom.js';

let server: SqsServer;

before(async () => {
  server = await startSqsServer({ region: 'eu-west-3' });
});
after(() => server.stop());

test('the region comes from the queue URL when none is configured', async () => {
  const { deadLetterQueueUrl } = await server.createQueuePair('region');
  assert.match(deadLetterQueueUrl, /sqs\.eu-west-3\.localhost/);
  const run = await iotprom(
    ['--json', 'inspect', '--queue', deadLetterQueueUrl, '--wait', '0'],
    cleanEnvironment({ AWS_ENDPOINT_URL_SQS: server.endpoint }),
  );
  assert.equal(run.code, 0, run.stderr);
  assert.equal(JSON.parse(run.stdout.toString('utf8')).scanned, 0);
  assert.equal(run.stderr, '');
});

test('regionFromQueueUrl reads AWS, China and local hosts, and nothing else', () => {
  assert.equal(regionFromQueueUrl('https://sqs.eu-central-1.amazonaws.com/123456789012/q'), 'eu-central-1');
  assert.equal(regionFromQueueUrl('https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q'), 'cn-north-1');
  assert.equal(
    regionFromQueueUrl('https://us-gov-west-1.queue.amazonaws.com/123456789012/q'),
    'us-gov-west-1',
  );
  assert.equal(regionFromQueueUrl('http://sqs.us-east-1.localhost:7324/000000000000/q'), 'us-east-1');
  assert.equal(regionFromQueueUrl('http://127.0.0.1:7324/000000000000/q'), undefined);
  assert.equal(regionFromQueueUrl('not a url'), undefined);
});

test('no region anywhere: one line, exit 7', async () => {
  const run = await iotprom(
    ['inspect', '--queue', `${server.endpoint}/000000000000/q`],
    cleanEnvironment({ AWS_ENDPOINT_URL_SQS: server.endpoint }),
  );
  assert.equal(run.code, ExitCode.awsConfig, run.stderr);
  assert.match(run.stderr, /^iotprom: no AWS region: pass --region/);
  assert.ok(isOneLine(run.stderr), run.stderr);
});

test('credentials SQS refuses: one line, exit 7', async () => {
  // A stand-in for SQS that refuses every signature, as AWS does for a wrong or revoked key.
  const refusing = createServer((_request, response) => {
    response.writeHead(403, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-query-error': 'InvalidClientTokenId;Sender',
    });
    response.end(
      JSON.stringify({
        __type: 'com.amazonaws.sqs#InvalidClientTokenId',
        message: 'The security token included in the request is invalid.',
      }),
    );
  });
  refusing.listen(0, '127.0.0.1');
  await once(refusing, 'listening');
  const endpoint = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`;
  try {
    const run = await iotprom(
      ['inspect', '--queue', 'http://sqs.us-east-1.localhost/000000000000/q'],
      cleanEnvironment({
        AWS_ENDPOINT_URL_SQS: endpoint,
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'wrong',
      }),
    );
    assert.equal(run.code, ExitCode.awsConfig, run.stderr);
    assert.match(run.stderr, /AWS credentials missing or not valid \(InvalidClientTokenId\)/);
    assert.ok(isOneLine(run.stderr), run.stderr);
  } finally {
    refusing.close();
  }
});

test('missing credentials and a missing region map to exit 7 without a stack trace', () => {
  const noCredentials = Object.assign(new Error('Could not load credentials from any providers'), {
    name: 'CredentialsProviderError',
  });
  const report = describeFailure(noCredentials);
  assert.equal(report.exitCode, ExitCode.awsConfig);
  assert.doesNotMatch(report.line ?? '', /\n|\bat /);
  assert.equal(describeFailure(new Error('Region is missing')).exitCode, ExitCode.awsConfig);
  // A bug keeps its stack trace.
  const bug = describeFailure(new TypeError('x is undefined'));
  assert.equal(bug.exitCode, ExitCode.unexpected);
  assert.match(bug.line ?? '', /\n\s+at /);
});

test('a missing queue and an unreachable endpoint: one line, exit 3', async () => {
  const env = cleanEnvironment({ AWS_ENDPOINT_URL_SQS: server.endpoint });
  const missing = await iotprom(
    ['inspect', '--queue', `http://sqs.eu-west-3.localhost/000000000000/no-such-queue`],
    env,
  );
  assert.equal(missing.code, ExitCode.aws, missing.stderr);
  assert.match(missing.stderr, /the --queue queue .*no-such-queue does not exist/);
  assert.ok(isOneLine(missing.stderr), missing.stderr);

  const closed = createTcpServer();
  closed.listen(0, '127.0.0.1');
  await once(closed, 'listening');
  const port = (closed.address() as AddressInfo).port;
  closed.close();
  const unreachable = await iotprom(
    ['inspect', '--queue', `http://sqs.eu-west-3.localhost/000000000000/q`],
    cleanEnvironment({ AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${port}` }),
  );
  assert.equal(unreachable.code, ExitCode.aws, unreachable.stderr);
  assert.match(unreachable.stderr, /cannot reach the SQS endpoint \(ECONNREFUSED\)/);
  assert.ok(isOneLine(unreachable.stderr), unreachable.stderr);
});

test('iotprom local on a busy port: one line, exit 8', async () => {
  const busy = createTcpServer();
  busy.listen(0, '127.0.0.1');
  await once(busy, 'listening');
  try {
    const port = (busy.address() as AddressInfo).port;
    const run = await iotprom(
      [
        'local',
        '--sqs-port',
        String(port),
        '--remote-write-url',
        'http://127.0.0.1:9/api/v1/write',
        '--duration',
        '1',
      ],
      cleanEnvironment(),
    );
    assert.equal(run.code, ExitCode.portInUse, run.stderr);
    assert.match(run.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use.*--sqs-port`));
    assert.ok(isOneLine(run.stderr), run.stderr);
  } finally {
    busy.close();
  }
});
