// The stack with no context keys: a new AMP workspace and an arm64 function. One bundled synth for the file.
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Runtime, RuntimeFamily } from 'aws-cdk-lib/aws-lambda';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { IgnoreStrategy } from 'aws-cdk-lib';
import { build } from 'esbuild';
import { INGEST_ASSET_EXCLUDES, ingestSourceFingerprint } from '../../infra/ingest-asset.js';
import { bundleIngest, ingestEsbuildOptions, projectRoot } from '../../scripts/ingest-bundle.js';
import {
  ELF_AARCH64,
  STACK_NAME,
  elfMachine,
  ingestAssetDir,
  nativeBinaries,
  onlyResourceId,
  synthBridge,
  type Synthesised,
} from './support/synth.js';

let synth: Synthesised;
/** Policy statements with their action and resource lists sorted, so the order CDK merges them in does not matter. */
const normalised = (statements: Array<Record<string, unknown>>) =>
  statements.map((statement) => {
    const sorted = (value: unknown) =>
      Array.isArray(value)
        ? [...value].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
        : value;
    return { ...statement, Action: sorted(statement.Action), Resource: sorted(statement.Resource) };
  });
const ref = (id: string) => ({ Ref: id });
const arn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const queueIdMatching = (pattern: RegExp) => {
  const ids = Object.keys(synth.template.findResources('AWS::SQS::Queue')).filter((id) => pattern.test(id));
  assert.equal(ids.length, 1, `one queue matching ${pattern}`);
  return ids[0]!;
};
let sourceQueue: string;
let deadLetterQueue: string;
let ruleErrorQueue: string;
let workspace: string;

let sourcesAtSynth: string;

before(() => {
  sourcesAtSynth = ingestSourceFingerprint();
  synth = synthBridge({}, { bundle: true });
  sourceQueue = queueIdMatching(/SourceQueue/);
  deadLetterQueue = queueIdMatching(/DeadLetterQueue/);
  ruleErrorQueue = queueIdMatching(/RuleErrorQueue/);
  workspace = onlyResourceId(synth.template, 'AWS::APS::Workspace');
});

after(() => rmSync(synth.outdir, { recursive: true, force: true }));

describe('default configuration', () => {
  test('cdk-nag AwsSolutions finds nothing that is not acknowledged with a reason', () => {
    assert.deepEqual(synth.nagFindings, []);
  });

  test('CDK reports no warnings or errors', () => {
    const annotations = Annotations.fromStack(synth.stack);
    assert.deepEqual(annotations.findWarning('*', Match.anyValue()), []);
    assert.deepEqual(annotations.findError('*', Match.anyValue()), []);
  });

  test('creates an AMP workspace with alias, retention and a 600 s out-of-order window, retained on destroy', () => {
    synth.template.hasResource('AWS::APS::Workspace', {
      Properties: {
        Alias: STACK_NAME,
        WorkspaceConfiguration: { RetentionPeriodInDays: 150, OutOfOrderTimeWindowInSeconds: 600 },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('the source queue: SSE, 4-day retention, visibility 6x the timeout plus the window, redrive after 5', () => {
    synth.template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 4 * 86400,
      VisibilityTimeout: 6 * 60 + 5,
      RedrivePolicy: { deadLetterTargetArn: arn(deadLetterQueue), maxReceiveCount: 5 },
    });
    const props = synth.template.findResources('AWS::SQS::Queue')[sourceQueue]!.Properties;
    assert.equal(props.VisibilityTimeout, 365);
  });

  test('the dead-letter and rule error queues: SSE, 14-day retention (longer than the source), no redrive', () => {
    const queues = synth.template.findResources('AWS::SQS::Queue');
    for (const id of [deadLetterQueue, ruleErrorQueue]) {
      assert.deepEqual(queues[id]!.Properties, {
        MessageRetentionPeriod: 14 * 86400,
        SqsManagedSseEnabled: true,
      });
    }
  });

  test('every queue denies requests without TLS', () => {
    for (const queue of [sourceQueue, deadLetterQueue, ruleErrorQueue]) {
      synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(queue)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  test('the function: newest Node.js runtime, arm64, 512 MB, 60 s, the contract environment, own log group', () => {
    const newest = Runtime.ALL.filter((r) => r.family === RuntimeFamily.NODEJS && /^nodejs\d+/.test(r.name))
      .map((r) => r.name)
      .sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]))
      .at(-1);
    assert.equal(Runtime.NODEJS_LATEST.name, newest);
    const logGroup = onlyResourceId(synth.template, 'AWS::Logs::LogGroup');
    synth.template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: newest,
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 60,
      LoggingConfig: { LogGroup: ref(logGroup) },
      Environment: {
        Variables: {
          REMOTE_WRITE_URL: {
            'Fn::Join': ['', [{ 'Fn::GetAtt': [workspace, 'PrometheusEndpoint'] }, 'remote_write']],
          },
          REMOTE_WRITE_AUTH: 'sigv4',
          DEAD_LETTER_QUEUE_URL: ref(deadLetterQueue),
          POWERTOOLS_SERVICE_NAME: 'iot-prometheus-bridge',
          POWERTOOLS_METRICS_NAMESPACE: 'IotPrometheusBridge',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          NODE_OPTIONS: '--max-semi-space-size=16',
          MAX_RECEIVE_COUNT: '5',
          MAX_SAMPLE_AGE: '1h',
          MAX_SAMPLE_FUTURE: '10m',
        },
      },
    });
    synth.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('the event source: 1,000 messages, 5 s window, partial batch responses, at most 10 concurrent', () => {
    const mapping = Object.values(synth.template.findResources('AWS::Lambda::EventSourceMapping'));
    assert.equal(mapping.length, 1);
    assert.deepEqual(mapping[0]!.Properties.EventSourceArn, arn(sourceQueue));
    assert.equal(mapping[0]!.Properties.BatchSize, 1000);
    assert.equal(mapping[0]!.Properties.MaximumBatchingWindowInSeconds, 5);
    assert.deepEqual(mapping[0]!.Properties.FunctionResponseTypes, ['ReportBatchItemFailures']);
    assert.deepEqual(mapping[0]!.Properties.ScalingConfig, { MaximumConcurrency: 10 });
  });

  test('the IoT rule: default SQL into the source queue, errors into the rule error queue, a name without hyphens', () => {
    const rules = synth.template.findResources('AWS::IoT::TopicRule');
    const rule = Object.values(rules)[0]!.Properties;
    assert.equal(rule.RuleName, STACK_NAME);
    assert.match(rule.RuleName, /^[A-Za-z0-9_]+$/);
    const roleArn = rule.TopicRulePayload.Actions[0].Sqs.RoleArn;
    assert.equal(rule.TopicRulePayload.Sql, "SELECT * FROM 'telemetry/#'");
    assert.equal(rule.TopicRulePayload.AwsIotSqlVersion, '2016-03-23');
    assert.equal(rule.TopicRulePayload.RuleDisabled, false);
    assert.deepEqual(rule.TopicRulePayload.Actions, [
      { Sqs: { QueueUrl: ref(sourceQueue), RoleArn: roleArn, UseBase64: false } },
    ]);
    assert.deepEqual(rule.TopicRulePayload.ErrorAction, {
      Sqs: { QueueUrl: ref(ruleErrorQueue), RoleArn: roleArn, UseBase64: false },
    });
  });

  test("the rule's role may only send to the source and error queues", () => {
    const rule = Object.values(synth.template.findResources('AWS::IoT::TopicRule'))[0]!.Properties;
    const roleId = rule.TopicRulePayload.Actions[0].Sqs.RoleArn['Fn::GetAtt'][0] as string;
    const roles = synth.template.findResources('AWS::IAM::Role');
    assert.deepEqual(roles[roleId]!.Properties.AssumeRolePolicyDocument.Statement[0].Principal, {
      Service: 'iot.amazonaws.com',
    });
    const policies = Object.values(synth.template.findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify(ref(roleId))),
    );
    assert.equal(policies.length, 1);
    assert.deepEqual(normalised(policies[0]!.Properties.PolicyDocument.Statement), [
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: [arn(ruleErrorQueue), arn(sourceQueue)] },
    ]);
  });

  test("the function's role: logs, consume the source queue, aps:RemoteWrite on the workspace only, send to the DLQ", () => {
    const fn = Object.values(synth.template.findResources('AWS::Lambda::Function'))[0]!.Properties;
    const roleId = fn.Role['Fn::GetAtt'][0] as string;
    const role = synth.template.findResources('AWS::IAM::Role')[roleId]!.Properties;
    assert.equal(role.ManagedPolicyArns, undefined, 'no managed policies');
    const policies = Object.values(synth.template.findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify(ref(roleId))),
    );
    assert.equal(policies.length, 1);
    const statements = normalised(policies[0]!.Properties.PolicyDocument.Statement);
    const logGroup = onlyResourceId(synth.template, 'AWS::Logs::LogGroup');
    assert.deepEqual(statements, [
      { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: arn(logGroup) },
      { Action: 'aps:RemoteWrite', Effect: 'Allow', Resource: { 'Fn::GetAtt': [workspace, 'Arn'] } },
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: arn(deadLetterQueue) },
      {
        Action: [
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:ReceiveMessage',
        ],
        Effect: 'Allow',
        Resource: arn(sourceQueue),
      },
    ]);
    assert.doesNotMatch(JSON.stringify(synth.template.toJSON()), /secretsmanager|REMOTE_WRITE_SECRET_ARN/);
  });

  test('no IAM statement anywhere names a wildcard resource', () => {
    for (const policy of Object.values(synth.template.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement as Array<{ Resource: unknown }>) {
        assert.doesNotMatch(JSON.stringify(statement.Resource), /"\*"|:\*"/);
      }
    }
  });

  test('alarms on the DLQ, rule errors, ingest lag, function errors and throttles and the EMF metrics', () => {
    const alarms = Object.values(synth.template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties,
    );
    const byMetric = (namespace: string, name: string) => {
      const found = alarms.filter((a) => a.Namespace === namespace && a.MetricName === name);
      assert.ok(found.length > 0, `an alarm on ${namespace} ${name}`);
      return found;
    };
    const dlq = byMetric('AWS/SQS', 'ApproximateNumberOfMessagesVisible').find((a) =>
      JSON.stringify(a.Dimensions).includes(deadLetterQueue),
    );
    assert.equal(dlq?.Threshold, 1);
    assert.ok(
      byMetric('AWS/SQS', 'ApproximateNumberOfMessagesVisible').some((a) =>
        JSON.stringify(a.Dimensions).includes(ruleErrorQueue),
      ),
    );
    const lag = byMetric('AWS/SQS', 'ApproximateAgeOfOldestMessage')[0]!;
    assert.equal(lag.Threshold, 300);
    assert.match(JSON.stringify(lag.Dimensions), new RegExp(sourceQueue));
    byMetric('AWS/Lambda', 'Errors');
    byMetric('AWS/Lambda', 'Throttles');
    for (const name of ['MessagesDeadLettered', 'RemoteWriteRetries', 'BatchItemFailures']) {
      const alarm = byMetric('IotPrometheusBridge', name)[0]!;
      assert.deepEqual(alarm.Dimensions, [{ Name: 'service', Value: 'iot-prometheus-bridge' }]);
      assert.equal(alarm.Statistic, 'Sum');
    }
    assert.equal(alarms.length, 8);
    for (const alarm of alarms) {
      assert.equal(alarm.TreatMissingData, 'notBreaching');
      assert.equal(alarm.AlarmActions, undefined, 'no actions without an alarm topic');
    }
  });

  test('a dashboard', () => {
    synth.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  test('outputs: queue URLs, remote-write URL, workspace id, IoT topic and rule', () => {
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    assert.deepEqual(outputs.SourceQueueUrl!.Value, ref(sourceQueue));
    assert.deepEqual(outputs.DeadLetterQueueUrl!.Value, ref(deadLetterQueue));
    assert.deepEqual(outputs.RuleErrorQueueUrl!.Value, ref(ruleErrorQueue));
    assert.deepEqual(outputs.WorkspaceId!.Value, { 'Fn::GetAtt': [workspace, 'WorkspaceId'] });
    assert.deepEqual(outputs.RemoteWriteUrl!.Value, {
      'Fn::Join': ['', [{ 'Fn::GetAtt': [workspace, 'PrometheusEndpoint'] }, 'remote_write']],
    });
    assert.equal(outputs.IotTopic!.Value, 'telemetry/#');
    assert.equal(outputs.IotRuleName!.Value, STACK_NAME);
    assert.ok(outputs.IngestFunctionName);
    assert.ok(outputs.DashboardName);
  });
});

describe('the function asset', () => {
  test('holds index.mjs and exactly one snappy binary, an aarch64 ELF, which index.mjs loads by name', () => {
    const dir = ingestAssetDir(synth);
    assert.ok(existsSync(join(dir, 'index.mjs')));
    const binaries = nativeBinaries(dir);
    assert.deepEqual(binaries, ['@napi-rs/snappy-linux-arm64-gnu/snappy.linux-arm64-gnu.node']);
    assert.equal(elfMachine(join(dir, 'node_modules', binaries[0]!)), ELF_AARCH64);
    // The bundle loads the binary directly; the snappy package's loader (platform probing) is neither used nor shipped.
    assert.ok(readFileSync(join(dir, 'index.mjs'), 'utf8').includes(JSON.stringify(binaries[0])));
    assert.equal(existsSync(join(dir, 'node_modules/snappy')), false);
  });

  test('its hash covers every file the bundle is built from', async () => {
    const result = await build({
      ...ingestEsbuildOptions(tmpdir()),
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const ignore = IgnoreStrategy.glob(projectRoot, [...INGEST_ASSET_EXCLUDES]);
    const read = Object.keys(result.metafile!.inputs).filter((input) => !input.startsWith('node_modules/'));
    assert.ok(read.includes('functions/ingest/index.ts'));
    // CDK skips a whole excluded folder, so a file is left out of the hash when it or any folder above it is.
    const excluded = (input: string) =>
      input.split('/').some((_, i, parts) => ignore.ignores(join(projectRoot, ...parts.slice(0, i + 1))));
    assert.equal(excluded('cli/main.ts'), true, 'the check itself sees excluded folders');
    assert.deepEqual(read.filter(excluded), []);
  });

  test('index.mjs is byte for byte what bundleIngest (npm run build) produces', async (t) => {
    const out = mkdtempSync(join(tmpdir(), 'iotprom-bundle-'));
    try {
      await bundleIngest({ outDir: out, cpu: 'arm64' });
      if (ingestSourceFingerprint() !== sourcesAtSynth) {
        // Someone edited the sources in this shared checkout since the synth: the two builds saw different code.
        t.skip('the sources changed between the synth and this build');
        return;
      }
      const shipped = readFileSync(join(ingestAssetDir(synth), 'index.mjs'));
      assert.ok(shipped.equals(readFileSync(join(out, 'index.mjs'))), 'same bytes');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
