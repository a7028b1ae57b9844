// The `iotprom` bin as an operator runs it: a child process, configured through the SDK's environment and
// --endpoint-url, talking to an in-process fauxqs.
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { main } from '../../cli/main.js';
import { startSqsServer, type SqsServer } from '../../cli/local/sqs-server.js';

const BIN = fileURLToPath(new URL('../../bin/iotprom.mjs', import.meta.url));

let server: SqsServer;
let sqs: SQSClient;

before(async () => {
  server = await startSqsServer();
  sqs = server.client();
  // For the commands run in this process (main()): the SDK's environment, as an operator's shell has it.
  Object.assign(process.env, {
    AWS_REGION: server.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_SQS: server.endpoint,
  });
});
after(() => server.stop());

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function iotprom(args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: {
          ...process.env,
          AWS_REGION: server.region,
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          AWS_ENDPOINT_URL_SQS: server.endpoint,
        },
        timeout: 90_000,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Runs main() in this process with its stdout/stderr captured. The CLI writes strings; the test runner's own
 * reports to the parent (binary frames) pass through, or a test reported meanwhile would vanish.
 */
async function inProcess(args: readonly string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  const stderrWrite = process.stderr.write.bind(process.stderr);
  const capture = (into: string[], original: typeof process.stdout.write) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) =>
      typeof chunk === 'string'
        ? into.push(chunk) > 0
        : original(chunk, ...(rest as []))) as typeof process.stdout.write;
  process.stdout.write = capture(out, stdoutWrite);
  process.stderr.write = capture(err, stderrWrite);
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  }
}

async function seed(queueUrl: string, bodies: readonly string[]): Promise<void> {
  for (let start = 0; start < bodies.length; start += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.slice(start, start + 10).map((body, i) => ({
          Id: `e${i}`,
          MessageBody: body,
          MessageAttributes: {
            'bridge-error-kind': { DataType: 'String', StringValue: 'rejected-by-receiver' },
            'bridge-error': { DataType: 'String', StringValue: 'HTTP 400: out of order sample' },
          },
        })),
      }),
    );
  }
}

test('every command has --help; bad command lines exit 2', async () => {
  for (const command of [[], ['replay'], ['inspect'], ['simulate'], ['local'], ['map']]) {
    const run = await inProcess([...command, '--help']);
    assert.equal(run.code, 0, command.join(' '));
    assert.match(run.stdout, /^Usage: iotprom/m);
  }
  assert.equal((await inProcess(['replay'])).code, 2); // --from missing
  assert.equal((await inProcess(['replay', '--from', 'x', '--limit', '0'])).code, 2);
  assert.equal((await inProcess(['simulate', '--queue', 'x'])).code, 2); // neither --duration nor --count
  assert.equal((await inProcess(['simulate', '--queue', 'x', '--count', '1', '--formats', 'xml'])).code, 2);
  assert.equal((await inProcess(['replay', '--from', 'x', '--native', '--kind', 'invalid-message'])).code, 2);
  assert.equal((await inProcess(['map', '--route', 'x'])).code, 2); // --topic and --payload missing
  assert.equal((await inProcess(['no-such-command'])).code, 2);
});

test('iotprom inspect, replay --dry-run and replay with --json and exit codes (the real replay through the bin)', async () => {
  const { queueUrl, deadLetterQueueUrl } = await server.createQueuePair('bin');
  await seed(
    deadLetterQueueUrl,
    Array.from({ length: 14 }, (_, i) => JSON.stringify({ name: 'x', value: i })),
  );

  const inspect = await inProcess(['--json', 'inspect', '--queue', deadLetterQueueUrl, '--wait', '0']);
  assert.equal(inspect.code, 0, inspect.stderr);
  assert.deepEqual(JSON.parse(inspect.stdout).byKind, [{ kind: 'rejected-by-receiver', count: 14 }]);

  const dry = await inProcess([
    '--json',
    'replay',
    '--from',
    deadLetterQueueUrl,
    '--to',
    queueUrl,
    '--dry-run',
    '--wait',
    '0',
  ]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(JSON.parse(dry.stdout).matched, 14);

  const moved = await iotprom([
    'replay',
    '--from',
    deadLetterQueueUrl,
    '--to',
    queueUrl,
    '--rate',
    '1000/s',
    '--wait',
    '0',
  ]);
  assert.equal(moved.code, 0, moved.stderr);
  assert.match(moved.stdout, /^replayed 14 of 14 matching messages/m);

  // Without --to, fauxqs cannot name the source queue: a usage error that says what to do.
  const noTo = await inProcess(['replay', '--from', deadLetterQueueUrl]);
  assert.equal(noTo.code, 2);
  assert.match(noTo.stderr, /pass --to/);

  // --native needs StartMessageMoveTask, which fauxqs lacks: an SQS error (3) with a clear message.
  const native = await inProcess(['replay', '--from', deadLetterQueueUrl, '--native']);
  assert.equal(native.code, 3);
  assert.match(native.stderr, /does not support StartMessageMoveTask/);

  const missing = await inProcess(['inspect', '--queue', `${server.endpoint}/000000000000/no-such-queue`]);
  assert.equal(missing.code, 3, missing.stderr);
});

test('iotprom simulate sends the count it reports', async () => {
  const { queueUrl } = await server.createQueuePair('bin-simulate');
  const run = await iotprom([
    '--json',
    'simulate',
    '--queue',
    queueUrl,
    '--count',
    '55',
    '--rate',
    '500',
    '--formats',
    'senml,base64',
  ]);
  assert.equal(run.code, 0, run.stderr);
  const summary = JSON.parse(run.stdout);
  assert.equal(summary.sent, 55);
  assert.deepEqual(Object.keys(summary.byFormat).sort(), ['base64', 'senml']);
});

test('iotprom local without Prometheus says how to install it and exits 5', async () => {
  const run = await inProcess(['local', '--prometheus', '/nonexistent/prometheus', '--duration', '1']);
  assert.equal(run.code, 5, run.stderr);
  assert.match(run.stderr, /Prometheus is not installed.*\n.*apt-get install prometheus/s);
  assert.match(run.stderr, /--remote-write-url/);
});
