// `cdk synth` through the real CLI with no AWS credentials, then the arm64 smoke test: the synthesised asset runs
// under qemu-aarch64 with the arm64 Node.js of the Lambda's major version and remote-writes to a loopback receiver.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { projectRoot, snappyBinaryModule } from '../../scripts/ingest-bundle.js';
import { offlineEnv } from '../support/offline-env.js';
import { StrictReceiver } from '../support/strict-receiver.js';
import {
  AARCH64_SYSROOT,
  QEMU_AARCH64,
  arm64Node,
  lambdaNodeMajor,
  missingArm64Tools,
} from './support/arm64-node.js';
import { ELF_AARCH64, elfMachine, nativeBinaries } from './support/synth.js';

const run = promisify(execFile);
const STACK = 'IotPrometheusBridge';

let outdir: string;
let template: {
  Resources: Record<
    string,
    { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, unknown> }
  >;
};
let assetDir: string;

before(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'iotprom-cdk-out-'));
  await run(
    process.execPath,
    [
      join(projectRoot, 'node_modules/aws-cdk/bin/cdk'),
      'synth',
      '--output',
      outdir,
      '--quiet',
      '--no-notices',
    ],
    { cwd: projectRoot, env: offlineEnv(), timeout: 300_000, maxBuffer: 64 * 1024 * 1024 },
  );
  template = JSON.parse(readFileSync(join(outdir, `${STACK}.template.json`), 'utf8')) as typeof template;
  const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function')!;
  assetDir = join(outdir, fn.Metadata!['aws:asset:path'] as string);
});

after(() => rmSync(outdir, { recursive: true, force: true }));

test('npx cdk synth works without AWS credentials and synthesises an arm64 function with its asset', () => {
  const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function')!;
  assert.deepEqual(fn.Properties.Architectures, ['arm64']);
  assert.equal(fn.Properties.Runtime, `nodejs${lambdaNodeMajor()}.x`);
  assert.ok(existsSync(join(assetDir, 'index.mjs')));
  const binaries = nativeBinaries(assetDir);
  assert.equal(binaries.length, 1);
  assert.equal(elfMachine(join(assetDir, 'node_modules', binaries[0]!)), ELF_AARCH64);
});

const missing = missingArm64Tools();
const SAMPLE_TIME = Date.now() - 60_000;
const MARKER = 'SMOKE-RESULT ';

// Runs inside the emulated arm64 Node.js: loads the snappy binary (as the bundle does, by its module path beside
// index.mjs) and the handler from the asset exactly as Lambda would.
const SMOKE_SCRIPT = `
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
const [assetDir, eventJson] = process.argv.slice(2);
const entry = assetDir + '/index.mjs';
const snappy = createRequire(entry)(${JSON.stringify(snappyBinaryModule('arm64'))});
const input = Buffer.from('snappy on ' + process.arch);
const snappyRoundTrip = Buffer.from(snappy.uncompressSync(snappy.compressSync(input))).equals(input);
const { handler } = await import(pathToFileURL(entry).href);
const deadline = Date.now() + 90000;
const context = {
  functionName: 'iot-prometheus-bridge-smoke', functionVersion: '$LATEST', awsRequestId: 'smoke-request-1',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:smoke', memoryLimitInMB: '512',
  logGroupName: '/aws/lambda/smoke', logStreamName: 'smoke', callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => deadline - Date.now(), done() {}, fail() {}, succeed() {},
};
const result = await handler(JSON.parse(eventJson), context);
process.stdout.write('\\n${MARKER}' + JSON.stringify({ arch: process.arch, version: process.version, snappyRoundTrip, result }) + '\\n');
`;

function sqsEvent() {
  const body = {
    name: 'temperature_celsius',
    value: 21.5,
    timestamp: SAMPLE_TIME,
    labels: { device: 'd-17', site: 'north' },
  };
  return {
    Records: [
      {
        messageId: '0b6a7f4e-smoke-0001',
        receiptHandle: 'smoke-receipt',
        body: JSON.stringify(body),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(SAMPLE_TIME),
          SenderId: 'AIDASMOKE',
          ApproximateFirstReceiveTimestamp: String(SAMPLE_TIME),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:smoke',
        awsRegion: 'us-east-1',
      },
    ],
  };
}

interface SmokeRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runUnderQemu(
  node: string,
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<SmokeRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(QEMU_AARCH64, ['-L', AARCH64_SYSROOT, node, script, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Generous: emulation is slow, and this machine is shared.
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let receiver: StrictReceiver | undefined;
let smoke: { run: SmokeRun; result?: Record<string, unknown> } | undefined;

async function smokeRun(): Promise<NonNullable<typeof smoke>> {
  if (smoke) return smoke;
  const node = await arm64Node();
  receiver = await StrictReceiver.start();
  const dir = mkdtempSync(join(tmpdir(), 'iotprom-smoke-'));
  const script = join(dir, 'smoke.mjs');
  writeFileSync(script, SMOKE_SCRIPT);
  const run = await runUnderQemu(node, script, [assetDir, JSON.stringify(sqsEvent())], {
    PATH: process.env.PATH,
    REMOTE_WRITE_URL: receiver.url,
    REMOTE_WRITE_AUTH: 'none',
    POWERTOOLS_SERVICE_NAME: 'iot-prometheus-bridge',
    POWERTOOLS_METRICS_NAMESPACE: 'IotPrometheusBridge',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDSMOKETEST',
    AWS_SECRET_ACCESS_KEY: 'smoke-test-secret',
    AWS_EC2_METADATA_DISABLED: 'true',
    // Nothing listens there: an SQS call by mistake fails fast on loopback instead of leaving the machine.
    AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:9',
    AWS_LAMBDA_FUNCTION_NAME: 'iot-prometheus-bridge-smoke',
  });
  rmSync(dir, { recursive: true, force: true });
  const line = run.stdout.split('\n').find((l) => l.startsWith(MARKER));
  smoke = {
    run,
    result: line ? (JSON.parse(line.slice(MARKER.length)) as Record<string, unknown>) : undefined,
  };
  return smoke;
}

after(async () => {
  await receiver?.close();
});

const skip = missing ? `arm64 smoke test needs ${missing}` : false;

test(
  'arm64: the asset runs on an emulated aarch64 Node.js of the Lambda major and its snappy binary loads',
  { skip, timeout: 600_000 },
  async () => {
    const { run, result } = await smokeRun();
    assert.ok(
      result,
      `the smoke script finished (exit ${run.code}):\n${run.stderr.slice(-4000)}\n${run.stdout.slice(-2000)}`,
    );
    assert.equal(result.arch, 'arm64');
    assert.match(String(result.version), new RegExp(`^v${lambdaNodeMajor()}\\.`));
    assert.equal(result.snappyRoundTrip, true);
    assert.equal(run.code, 0);
  },
);

test(
  'arm64: the handler remote-writes the SQS sample to the loopback receiver (snappy protobuf)',
  { skip, timeout: 600_000 },
  async () => {
    const { run, result } = await smokeRun();
    assert.ok(result, `the smoke script finished (exit ${run.code}):\n${run.stderr.slice(-4000)}`);
    assert.deepEqual(result.result, { batchItemFailures: [] });
    const posts = receiver!.requests.filter((r) => r.method === 'POST');
    assert.ok(posts.length >= 1, 'the receiver got a remote-write POST');
    assert.equal(posts[0]!.headers['content-encoding'], 'snappy');
    assert.equal(posts[0]!.status >= 200 && posts[0]!.status < 300, true);
    assert.deepEqual(receiver!.violations, []);
    assert.deepEqual(
      [...receiver!.written()],
      [
        [
          '__name__="temperature_celsius",device="d-17",site="north"',
          [{ timestampMs: SAMPLE_TIME, value: 21.5, stale: false }],
        ],
      ],
    );
  },
);
