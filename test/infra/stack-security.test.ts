// The security settings of the stack: what it refuses at synth (naming the context key), the rule role's trust
// policy, and the default concurrency cap of the event source.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Stack } from 'aws-cdk-lib';
import { IotPrometheusBridge } from '../../infra/iot-prometheus-bridge.js';
import { BridgePropError, ContextError } from '../../infra/validation.js';
import { projectRoot } from '../../scripts/ingest-bundle.js';
import { PLAIN_URL, SECRET_ARN, WORKSPACE_ARN } from './support/configurations.js';
import { ruleArn, synthBridge, type Synthesised } from './support/synth.js';

describe('the default stack', () => {
  let s: Synthesised;
  before(() => (s = synthBridge({})));
  after(() => rmSync(s.outdir, { recursive: true, force: true }));

  test("only IoT acting for this account's own rule may assume the rule's role", () => {
    const roles = Object.values(s.template.findResources('AWS::IAM::Role')).filter((r) =>
      JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('iot.amazonaws.com'),
    );
    assert.equal(roles.length, 1);
    assert.deepEqual(roles[0]!.Properties.AssumeRolePolicyDocument.Statement, [
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'iot.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnEquals: {
            'aws:SourceArn': ruleArn('TestBridge'),
          },
        },
      },
    ]);
  });

  test('the event source starts at most 10 concurrent invocations', () => {
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });
});

describe('context keys the stack refuses, each naming its -c key', () => {
  const refused: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['a batch size of 0', { batchSize: '0' }, 'batchSize', /from 1 to 10000, got 0/],
    ['a concurrency of 1', { maxConcurrency: '1' }, 'maxConcurrency', /from 2 to 1000, got 1/],
    ['a concurrency above 1000', { maxConcurrency: 1001 }, 'maxConcurrency', /from 2 to 1000/],
    ['a memory size of 64', { memorySize: '64' }, 'memorySize', /from 128/],
    ['a timeout of 901 s', { timeoutSeconds: '901' }, 'timeoutSeconds', /from 1 to 900/],
    [
      'a batching window of 301 s',
      { maxBatchingWindowSeconds: '301' },
      'maxBatchingWindowSeconds',
      /0 to 300/,
    ],
    ['a receive count of 0', { maxReceiveCount: '0' }, 'maxReceiveCount', /from 1 to 1000/],
    ['an ingest lag of 0', { ingestLagThresholdSeconds: '0' }, 'ingestLagThresholdSeconds', /from 1/],
    [
      'a retries threshold of 0',
      { remoteWriteRetriesThreshold: '0' },
      'remoteWriteRetriesThreshold',
      /from 1/,
    ],
    ['a retention of 0 days', { workspaceRetentionDays: '0' }, 'workspaceRetentionDays', /from 1 to 1095/],
    [
      'more than 10 per batch without a window',
      { maxBatchingWindowSeconds: '0' },
      'maxBatchingWindowSeconds',
      /at least 1 second/,
    ],
    ['a sample age that is not a duration', { maxSampleAge: '1 hour' }, 'maxSampleAge', /duration such as/],
    [
      'a forced label with a bad name',
      { forcedLabels: '{"bad-name":"x"}' },
      'forcedLabels',
      /not a valid label name/,
    ],
    ['a reserved extra label', { extraLabels: '{"__tenant":"x"}' }, 'extraLabels', /reserved/],
    [
      'bearer without its secret names remoteWriteSecretArn',
      { remoteWriteUrl: PLAIN_URL, remoteWriteAuth: 'bearer' },
      'remoteWriteSecretArn',
      /needs remoteWriteSecretArn/,
    ],
    [
      'credentials in the URL',
      { remoteWriteUrl: 'https://user:hunter2-password@p.example/api/v1/write' },
      'remoteWriteUrl',
      /must not contain credentials/,
    ],
    [
      'plain http with bearer',
      {
        remoteWriteUrl: 'http://p.example/api/v1/write',
        remoteWriteAuth: 'bearer',
        remoteWriteSecretArn: SECRET_ARN,
      },
      'remoteWriteUrl',
      /must be https with auth bearer/,
    ],
    [
      'plain http with basic',
      {
        remoteWriteUrl: 'http://p.example/api/v1/write',
        remoteWriteAuth: 'basic',
        remoteWriteSecretArn: SECRET_ARN,
      },
      'remoteWriteUrl',
      /must be https with auth basic/,
    ],
    [
      'plain http to AMP',
      {
        remoteWriteUrl: 'http://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write',
        existingWorkspaceArn: WORKSPACE_ARN,
      },
      'remoteWriteUrl',
      /must be https with auth sigv4/,
    ],
    [
      'sigv4 to a host that is not AMP, without sigv4AnyHost',
      { remoteWriteUrl: 'https://proxy.example/api/v1/write', existingWorkspaceArn: WORKSPACE_ARN },
      'remoteWriteUrl',
      /not an AMP host.*sigv4AnyHost/,
    ],
    ...(
      [
        ['an x-amz- header', '{"X-Amz-Target":"x"}', /no x-amz-\* header/],
        ['Expect', '{"Expect":"100-continue"}', /reserved/],
        ['Upgrade', '{"Upgrade":"h2c"}', /reserved/],
        ['TE', '{"TE":"trailers"}', /reserved/],
        ['a Proxy- header', '{"Proxy-Foo":"x"}', /no proxy-\* header/],
        ['a value with a control character', '{"X-Tenant":"a\\u0007b"}', /visible ASCII/],
        ['a value beyond ASCII', '{"X-Tenant":"café"}', /visible ASCII/],
      ] as const
    ).map(([name, headers, reason]): [string, Record<string, unknown>, string, RegExp] => [
      `a custom header: ${name}`,
      { functionEnvironment: JSON.stringify({ REMOTE_WRITE_HEADERS: headers }) },
      'functionEnvironment',
      reason,
    ]),
  ];
  for (const [name, context, key, reason] of refused) {
    test(name, () => {
      assert.throws(
        () => synthBridge(context),
        (error: unknown) => {
          assert.ok(error instanceof ContextError, `a ContextError, got ${String(error)}`);
          assert.equal(error.key, key);
          assert.match(error.message, new RegExp(`^-c ${key}: `));
          assert.match(error.message, reason);
          assert.doesNotMatch(error.message, /hunter2/);
          return true;
        },
      );
    });
  }

  test('http to a loopback receiver with credentials, and SigV4 to any host with sigv4AnyHost, are allowed', () => {
    for (const context of [
      {
        remoteWriteUrl: 'http://127.0.0.1:9090/api/v1/write',
        remoteWriteAuth: 'bearer',
        remoteWriteSecretArn: SECRET_ARN,
      },
      {
        remoteWriteUrl: 'https://proxy.example/api/v1/write',
        existingWorkspaceArn: WORKSPACE_ARN,
        sigv4AnyHost: 'true',
      },
    ]) {
      rmSync(synthBridge(context).outdir, { recursive: true, force: true });
    }
  });
});

test('the construct names its props', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ maxConcurrency: 1 }, 'maxConcurrency'],
    [{ remoteWriteUrl: 'https://u:p@p.example/w' }, 'remoteWriteUrl'],
    [{ forcedLabels: { 'a-b': 'x' } }, 'forcedLabels'],
  ];
  for (const [props, prop] of cases) {
    assert.throws(
      () => new IotPrometheusBridge(new Stack(), 'Bridge', props),
      (error: unknown) =>
        error instanceof BridgePropError && error.prop === prop && error.message.startsWith(prop),
    );
  }
});

test('cdk synth prints a context mistake as one line naming the key, without a stack trace', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'iotprom-app-'));
  try {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
      cwd: projectRoot,
      encoding: 'utf8',
      // The CDK CLI hands the context and the output folder to the app in these variables.
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ batchSize: '0' }), CDK_OUTDIR: outdir },
    });
    assert.equal(run.status, 1, run.stderr);
    assert.equal(
      run.stderr.trim(),
      'error: -c batchSize: batchSize must be an integer from 1 to 10000, got 0',
    );
    assert.doesNotMatch(run.stderr, /\n\s+at /);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});
