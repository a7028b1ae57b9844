// The main alternatives to the default stack, each synthesised once (only x86_64 bundles: its asset is checked),
// and the settings the stack refuses.
import { Match } from 'aws-cdk-lib/assertions';
import { ingestSourceFingerprint } from '../../infra/ingest-asset.js';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  ELF_X86_64,
  elfMachine,
  ingestAssetDir,
  ingestAssetHash,
  nativeBinaries,
  onlyResourceId,
  synthBridge,
  type Synthesised,
} from './support/synth.js';

import { EVERY_SETTING_CHANGED, SECRET_ARN, TOPIC_ARN, WORKSPACE_ARN } from './support/configurations.js';

const synths: Synthesised[] = [];
function synth(context: Record<string, unknown>, bundle = false): Synthesised {
  const result = synthBridge(context, { bundle });
  synths.push(result);
  return result;
}
after(() => {
  for (const s of synths) rmSync(s.outdir, { recursive: true, force: true });
});

function functionProps(s: Synthesised) {
  return Object.values(s.template.findResources('AWS::Lambda::Function'))[0]!.Properties as {
    Architectures: string[];
    Environment: { Variables: Record<string, unknown> };
    Role: { 'Fn::GetAtt': [string, string] };
    MemorySize: number;
    Timeout: number;
  };
}

function functionStatements(s: Synthesised): Array<{ Action: unknown; Resource: unknown }> {
  const roleId = functionProps(s).Role['Fn::GetAtt'][0];
  return Object.values(s.template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

const outputs = (s: Synthesised) => s.template.toJSON().Outputs as Record<string, { Value: unknown }>;

describe('an existing workspace given by ARN', () => {
  let s: Synthesised;
  before(() => (s = synth({ existingWorkspaceArn: WORKSPACE_ARN })));

  test('creates no workspace and writes to that workspace with SigV4', () => {
    s.template.resourceCountIs('AWS::APS::Workspace', 0);
    const env = functionProps(s).Environment.Variables;
    assert.equal(env.REMOTE_WRITE_AUTH, 'sigv4');
    assert.deepEqual(env.REMOTE_WRITE_URL, {
      'Fn::Join': [
        '',
        [
          'https://aps-workspaces.eu-west-1.',
          { Ref: 'AWS::URLSuffix' },
          '/workspaces/ws-0123abcd-1234-5678-9abc-0123456789ab/api/v1/remote_write',
        ],
      ],
    });
  });

  test('aps:RemoteWrite on exactly that workspace ARN', () => {
    const aps = functionStatements(s).filter((st) => JSON.stringify(st.Action).includes('aps:'));
    assert.deepEqual(aps, [{ Action: 'aps:RemoteWrite', Effect: 'Allow', Resource: WORKSPACE_ARN }]);
  });

  test('outputs the workspace id; cdk-nag is clean', () => {
    assert.equal(outputs(s).WorkspaceId!.Value, 'ws-0123abcd-1234-5678-9abc-0123456789ab');
    assert.deepEqual(s.nagFindings, []);
  });
});

describe('a plain remote-write URL', () => {
  let none: Synthesised;
  let bearer: Synthesised;
  const url = 'https://prometheus.example.internal/api/v1/write';
  before(() => {
    none = synth({ remoteWriteUrl: url });
    bearer = synth({ remoteWriteUrl: url, remoteWriteAuth: 'bearer', remoteWriteSecretArn: SECRET_ARN });
  });

  test('auth none: no workspace, no aps or secret permission, no workspace output', () => {
    none.template.resourceCountIs('AWS::APS::Workspace', 0);
    const env = functionProps(none).Environment.Variables;
    assert.equal(env.REMOTE_WRITE_URL, url);
    assert.equal(env.REMOTE_WRITE_AUTH, 'none');
    assert.equal(env.REMOTE_WRITE_SECRET_ARN, undefined);
    assert.doesNotMatch(JSON.stringify(functionStatements(none)), /aps:|secretsmanager:/);
    assert.equal(outputs(none).WorkspaceId, undefined);
    assert.equal(outputs(none).RemoteWriteUrl!.Value, url);
    assert.deepEqual(none.nagFindings, []);
  });

  test('auth bearer: the secret ARN in the environment and read access to that secret only', () => {
    const env = functionProps(bearer).Environment.Variables;
    assert.equal(env.REMOTE_WRITE_AUTH, 'bearer');
    assert.equal(env.REMOTE_WRITE_SECRET_ARN, SECRET_ARN);
    const secret = functionStatements(bearer).filter((st) =>
      JSON.stringify(st.Action).includes('secretsmanager:'),
    );
    assert.deepEqual(secret, [
      {
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        Effect: 'Allow',
        Resource: SECRET_ARN,
      },
    ]);
    assert.doesNotMatch(JSON.stringify(functionStatements(bearer)), /aps:/);
    assert.deepEqual(bearer.nagFindings, []);
  });

  test('an AMP URL alone: SigV4 and aps:RemoteWrite on the workspace it names, in the stack account', () => {
    const amp = synth({
      remoteWriteUrl: 'https://aps-workspaces.us-west-2.amazonaws.com/workspaces/ws-feed/api/v1/remote_write',
    });
    assert.equal(functionProps(amp).Environment.Variables.REMOTE_WRITE_AUTH, 'sigv4');
    const aps = functionStatements(amp).filter((st) => JSON.stringify(st.Action).includes('aps:'));
    assert.deepEqual(aps, [
      {
        Action: 'aps:RemoteWrite',
        Effect: 'Allow',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':aps:us-west-2:',
              { Ref: 'AWS::AccountId' },
              ':workspace/ws-feed',
            ],
          ],
        },
      },
    ]);
    assert.equal(outputs(amp).WorkspaceId!.Value, 'ws-feed');
  });
});

describe('x86_64', () => {
  let s: Synthesised;
  let sourcesAtBundling: string;
  before(() => {
    sourcesAtBundling = ingestSourceFingerprint();
    s = synth({ architecture: 'x86_64' }, true);
  });

  test('the function runs on x86_64 and its asset holds only the x86-64 snappy binary', () => {
    assert.deepEqual(functionProps(s).Architectures, ['x86_64']);
    const dir = ingestAssetDir(s);
    const binaries = nativeBinaries(dir);
    assert.deepEqual(binaries, ['@napi-rs/snappy-linux-x64-gnu/snappy.linux-x64-gnu.node']);
    assert.equal(elfMachine(join(dir, 'node_modules', binaries[0]!)), ELF_X86_64);
    assert.ok(readFileSync(join(dir, 'index.mjs'), 'utf8').includes(JSON.stringify(binaries[0])));
    assert.deepEqual(s.nagFindings, []);
  });

  test('the asset hash is stable across synths and differs from the arm64 asset', (t) => {
    const sources = ingestSourceFingerprint();
    const unchangedSinceBundling = sources === sourcesAtBundling;
    const arm64 = synth({});
    const arm64Again = synth({});
    const x86Unbundled = synth({ architecture: 'x86_64' });
    assert.notEqual(ingestAssetHash(arm64.template), ingestAssetHash(x86Unbundled.template));
    if (ingestSourceFingerprint() !== sources) {
      // Someone edited the sources in this shared checkout meanwhile: the synths hashed different code.
      t.skip('the sources changed during the test');
      return;
    }
    assert.equal(ingestAssetHash(arm64.template), ingestAssetHash(arm64Again.template));
    // The same hash whether or not the synth bundles: the asset is not rebuilt for nothing.
    if (unchangedSinceBundling)
      assert.equal(ingestAssetHash(x86Unbundled.template), ingestAssetHash(s.template));
  });
});

describe('every setting changed', () => {
  let s: Synthesised;
  before(() => (s = synth(EVERY_SETTING_CHANGED)));

  test('workspace alias, retention, out-of-order window and removal policy', () => {
    s.template.hasResource('AWS::APS::Workspace', {
      Properties: {
        Alias: 'plant-telemetry',
        WorkspaceConfiguration: { RetentionPeriodInDays: 400, OutOfOrderTimeWindowInSeconds: 300 },
      },
      DeletionPolicy: 'Delete',
    });
  });

  test('function memory, timeout, log level, service name, extra labels and log retention', () => {
    const fn = functionProps(s);
    assert.equal(fn.MemorySize, 1024);
    assert.equal(fn.Timeout, 120);
    assert.equal(fn.Environment.Variables.EXTRA_LABELS, '{"env":"prod","region":"eu"}');
    assert.equal(fn.Environment.Variables.POWERTOOLS_LOG_LEVEL, 'DEBUG');
    assert.equal(fn.Environment.Variables.POWERTOOLS_SERVICE_NAME, 'plant-bridge');
    assert.equal(fn.Environment.Variables.REMOTE_WRITE_CONCURRENCY, '8');
    assert.equal(fn.Environment.Variables.REMOTE_WRITE_TIMEOUT_MS, '5000');
    s.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  test('event source batch size, window and maximum concurrency', () => {
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 200,
      MaximumBatchingWindowInSeconds: 20,
      ScalingConfig: { MaximumConcurrency: 50 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  test('queues: customer key with rotation, visibility 6x the timeout plus the window, redrive after 3', () => {
    const key = onlyResourceId(s.template, 'AWS::KMS::Key');
    s.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const queues = Object.values(s.template.findResources('AWS::SQS::Queue')).map((q) => q.Properties);
    assert.equal(queues.length, 3);
    for (const queue of queues) assert.deepEqual(queue.KmsMasterKeyId, { 'Fn::GetAtt': [key, 'Arn'] });
    s.template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 6 * 120 + 20,
      MessageRetentionPeriod: 7 * 86400,
      RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }),
    });
  });

  test('the rule: SQL, name, base64, and its role may use the queue key', () => {
    s.template.hasResourceProperties('AWS::IoT::TopicRule', {
      RuleName: 'plant_metrics',
      TopicRulePayload: Match.objectLike({
        Sql: "SELECT *, topic(2) AS device FROM 'plants/+/metrics'",
        Actions: [{ Sqs: Match.objectLike({ UseBase64: true }) }],
      }),
    });
    const rule = Object.values(s.template.findResources('AWS::IoT::TopicRule'))[0]!.Properties;
    const roleId = rule.TopicRulePayload.Actions[0].Sqs.RoleArn['Fn::GetAtt'][0] as string;
    const key = onlyResourceId(s.template, 'AWS::KMS::Key');
    s.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Action: 'sqs:SendMessage' }),
          {
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [key, 'Arn'] },
          },
        ],
      },
    });
    assert.equal(outputs(s).IotTopic!.Value, 'plants/+/metrics');
  });

  test('alarms notify the SNS topic and use the thresholds', () => {
    const alarms = Object.values(s.template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    for (const alarm of alarms) {
      assert.deepEqual(alarm.AlarmActions, [TOPIC_ARN]);
      assert.deepEqual(alarm.OKActions, [TOPIC_ARN]);
    }
    assert.equal(alarms.find((a) => a.MetricName === 'ApproximateAgeOfOldestMessage')?.Threshold, 600);
    assert.equal(alarms.find((a) => a.MetricName === 'RemoteWriteRetries')?.Threshold, 10);
    assert.deepEqual(alarms.find((a) => a.MetricName === 'MessagesDeadLettered')?.Dimensions, [
      { Name: 'service', Value: 'plant-bridge' },
    ]);
  });

  test('cdk-nag is clean with the customer key', () => {
    assert.deepEqual(s.nagFindings, []);
  });
});

test('alarms and dashboard can be left out', () => {
  const s = synth({ alarms: 'false', dashboard: false });
  s.template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
  s.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  assert.equal(outputs(s).DashboardName, undefined);
});

describe('settings the stack refuses', () => {
  const refused: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      'bearer without a secret',
      { remoteWriteUrl: 'https://p.example/api/v1/write', remoteWriteAuth: 'bearer' },
      /needs remoteWriteSecret/,
    ],
    [
      'sigv4 to a receiver that is not AMP',
      { remoteWriteUrl: 'https://p.example/api/v1/write', remoteWriteAuth: 'sigv4' },
      /existingWorkspaceArn/,
    ],
    ['a rule name with hyphens', { ruleName: 'iot-bridge' }, /letters, digits and underscores/],
    ['an unknown context key', { batchsize: '10' }, /unknown context key\(s\) batchsize/],
    ['an unknown architecture', { architecture: 'arm' }, /architecture must be one of arm64, x86_64/],
    [
      'source retention not shorter than the DLQ',
      { sourceQueueRetentionDays: '14' },
      /shorter than the dead-letter/,
    ],
    ['an out-of-order window above AMP maximum', { outOfOrderWindowSeconds: '601' }, /0 to 600/],
    [
      'workspace settings with a remote-write URL',
      { remoteWriteUrl: 'https://p.example/api/v1/write', workspaceAlias: 'x' },
      /new workspace/,
    ],
    [
      'a malformed workspace ARN',
      { existingWorkspaceArn: 'arn:aws:s3:::bucket' },
      /existingWorkspaceArn must be/,
    ],
    ['extra labels that are not an object of strings', { extraLabels: '{"a":1}' }, /JSON object of strings/],
    [
      'a log retention CloudWatch does not offer',
      { logRetentionDays: '31' },
      /logRetentionDays must be one of/,
    ],
    [
      'an environment variable the stack sets',
      { functionEnvironment: '{"REMOTE_WRITE_AUTH":"none"}' },
      /environment cannot set REMOTE_WRITE_AUTH/,
    ],
    ['a non-integer batch size', { batchSize: '1e2.5' }, /batchSize must be an integer/],
  ];
  for (const [name, context, message] of refused) {
    test(name, () => {
      assert.throws(() => synthBridge(context), message);
    });
  }
});
