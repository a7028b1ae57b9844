// The deployable stack: every operator setting of IotPrometheusBridge as a CDK context key (`cdk deploy -c key=value`
// or the `context` of cdk.json). README.md (Context keys) lists them; CONTEXT_KEYS below is the one definition.
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct, Node } from 'constructs';
import { IotPrometheusBridge, type IotPrometheusBridgeProps } from './iot-prometheus-bridge.js';
import { REMOTE_WRITE_AUTHS, type RemoteWriteAuth } from './receiver.js';

/** The context keys the stack reads, with the default each one stands for (a documentation aid and a typo guard). */
export const CONTEXT_KEYS = {
  stackName: 'IotPrometheusBridge',
  workspaceAlias: 'the stack name',
  workspaceRetentionDays: '150',
  outOfOrderWindowSeconds: '600',
  retainWorkspace: 'true',
  existingWorkspaceArn: 'none: create a workspace',
  remoteWriteUrl: "the workspace's remote-write URL",
  remoteWriteAuth: 'sigv4 for AMP, else none',
  remoteWriteSecretArn: 'none',
  extraLabels: '{}',
  functionEnvironment: '{}',
  architecture: 'arm64',
  memorySize: '512',
  timeoutSeconds: '60',
  logRetentionDays: '30',
  logLevel: 'INFO',
  serviceName: 'iot-prometheus-bridge',
  batchSize: '1000',
  maxBatchingWindowSeconds: '5',
  maxConcurrency: 'none',
  maxReceiveCount: '5',
  sourceQueueRetentionDays: '4',
  queueKms: 'false',
  topicSql: "SELECT * FROM 'telemetry/#'",
  ruleName: 'derived from the stack name',
  useBase64: 'false',
  alarms: 'true',
  alarmTopicArn: 'none',
  ingestLagThresholdSeconds: '300',
  remoteWriteRetriesThreshold: '50',
  dashboard: 'true',
} as const;

export type ContextKey = keyof typeof CONTEXT_KEYS;

/** Typed reads of context values, which arrive as strings from `-c key=value` and as JSON values from cdk.json. */
class ContextReader {
  constructor(private readonly node: Node) {}

  raw(key: ContextKey): unknown {
    const value: unknown = this.node.tryGetContext(key);
    return value === '' || value === null ? undefined : value;
  }

  string(key: ContextKey): string | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string')
      throw new Error(`context ${key} must be a string, got ${JSON.stringify(value)}`);
    return value;
  }

  integer(key: ContextKey): number | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
    if (!Number.isInteger(number))
      throw new Error(`context ${key} must be an integer, got ${JSON.stringify(value)}`);
    return number;
  }

  boolean(key: ContextKey): boolean | undefined {
    const value = this.raw(key);
    if (value === undefined || typeof value === 'boolean') return value;
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw new Error(`context ${key} must be true or false, got ${JSON.stringify(value)}`);
  }

  oneOf<T extends string>(key: ContextKey, allowed: readonly T[]): T | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) {
      throw new Error(`context ${key} must be one of ${allowed.join(', ')}, got ${value}`);
    }
    return value as T;
  }

  labels(key: ContextKey): Record<string, string> | undefined {
    let value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value === 'string') {
      try {
        value = JSON.parse(value) as unknown;
      } catch {
        throw new Error(`context ${key} must be a JSON object of strings, got ${value}`);
      }
    }
    if (
      typeof value !== 'object' ||
      value === null ||
      Array.isArray(value) ||
      !Object.values(value).every((v) => typeof v === 'string')
    ) {
      throw new Error(`context ${key} must be a JSON object of strings, got ${JSON.stringify(value)}`);
    }
    return value as Record<string, string>;
  }
}

const seconds = (value: number | undefined) => (value === undefined ? undefined : Duration.seconds(value));

function retentionDays(days: number | undefined): RetentionDays | undefined {
  if (days === undefined) return undefined;
  const allowed = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number');
  if (!allowed.includes(days)) {
    throw new Error(`context logRetentionDays must be one of ${allowed.join(', ')}, got ${days}`);
  }
  return days as RetentionDays;
}

/**
 * Reads the bridge's props from the context. Resources it needs for them (the queue key, imported secret and topic)
 * are created in `scope`.
 */
export function bridgePropsFromContext(scope: Construct): IotPrometheusBridgeProps {
  const unknown = Object.keys(scope.node.getAllContext()).filter(
    (key) => /^[a-z][A-Za-z0-9]*$/.test(key) && !(key in CONTEXT_KEYS) && !KNOWN_FOREIGN_KEYS.has(key),
  );
  if (unknown.length > 0) {
    throw new Error(
      `unknown context key(s) ${unknown.join(', ')}; the bridge reads ${Object.keys(CONTEXT_KEYS).join(', ')}`,
    );
  }
  const ctx = new ContextReader(scope.node);
  const architecture = ctx.oneOf('architecture', ['arm64', 'x86_64'] as const);
  const secretArn = ctx.string('remoteWriteSecretArn');
  const alarmTopicArn = ctx.string('alarmTopicArn');
  const retainWorkspace = ctx.boolean('retainWorkspace');
  const workspaceSettings = {
    alias: ctx.string('workspaceAlias'),
    retentionPeriodInDays: ctx.integer('workspaceRetentionDays'),
    outOfOrderTimeWindowInSeconds: ctx.integer('outOfOrderWindowSeconds'),
    removalPolicy: retainWorkspace === false ? RemovalPolicy.DESTROY : undefined,
  };
  const workspaceGiven = Object.values(workspaceSettings).some((v) => v !== undefined);
  const ingestLag = ctx.integer('ingestLagThresholdSeconds');
  const retention = ctx.integer('sourceQueueRetentionDays');
  return {
    workspace: workspaceGiven ? workspaceSettings : undefined,
    existingWorkspaceArn: ctx.string('existingWorkspaceArn'),
    remoteWriteUrl: ctx.string('remoteWriteUrl'),
    remoteWriteAuth: ctx.oneOf<RemoteWriteAuth>('remoteWriteAuth', REMOTE_WRITE_AUTHS),
    remoteWriteSecret: secretArn
      ? Secret.fromSecretCompleteArn(scope, 'RemoteWriteSecret', secretArn)
      : undefined,
    extraLabels: ctx.labels('extraLabels'),
    environment: ctx.labels('functionEnvironment'),
    architecture: architecture === 'x86_64' ? Architecture.X86_64 : Architecture.ARM_64,
    memorySize: ctx.integer('memorySize'),
    timeout: seconds(ctx.integer('timeoutSeconds')),
    logRetention: retentionDays(ctx.integer('logRetentionDays')),
    logLevel: ctx.oneOf('logLevel', ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const),
    serviceName: ctx.string('serviceName'),
    batchSize: ctx.integer('batchSize'),
    maxBatchingWindow: seconds(ctx.integer('maxBatchingWindowSeconds')),
    maxConcurrency: ctx.integer('maxConcurrency'),
    maxReceiveCount: ctx.integer('maxReceiveCount'),
    sourceQueueRetention: retention === undefined ? undefined : Duration.days(retention),
    queueEncryptionKey: ctx.boolean('queueKms')
      ? new Key(scope, 'QueueKey', {
          description: 'Encrypts the IoT Prometheus bridge queues',
          enableKeyRotation: true,
        })
      : undefined,
    topicSql: ctx.string('topicSql'),
    ruleName: ctx.string('ruleName'),
    useBase64: ctx.boolean('useBase64'),
    alarms: ctx.boolean('alarms'),
    alarmTopic: alarmTopicArn ? Topic.fromTopicArn(scope, 'AlarmTopic', alarmTopicArn) : undefined,
    ingestLagThreshold: seconds(ingestLag),
    remoteWriteRetriesThreshold: ctx.integer('remoteWriteRetriesThreshold'),
    dashboard: ctx.boolean('dashboard'),
  };
}

// Context keys of CDK itself and its feature flags are namespaced (`@aws-cdk/…`, `aws:cdk:…`); these plain ones are
// the CLI's own.
const KNOWN_FOREIGN_KEYS = new Set(['cli-telemetry']);

export class BridgeStack extends Stack {
  readonly bridge: IotPrometheusBridge;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      description: 'IoT Core → SQS → Lambda → Prometheus remote write (iot-prometheus-bridge)',
      ...props,
    });
    const bridgeProps = bridgePropsFromContext(this);
    this.bridge = new IotPrometheusBridge(this, 'Bridge', {
      ...bridgeProps,
      ruleName: bridgeProps.ruleName ?? this.stackName.replace(/[^a-zA-Z0-9_]/g, '_'),
    });
    const bridge = this.bridge;
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output('SourceQueueUrl', bridge.sourceQueue.queueUrl, 'Queue the IoT rule sends telemetry to');
    output(
      'DeadLetterQueueUrl',
      bridge.deadLetterQueue.queueUrl,
      'Dead-letter queue (iotprom inspect / replay)',
    );
    output('RuleErrorQueueUrl', bridge.ruleErrorQueue.queueUrl, 'Failed deliveries of the IoT rule');
    output('RemoteWriteUrl', bridge.receiver.remoteWriteUrl, 'Where the ingest function remote-writes');
    if (bridge.receiver.workspaceId) output('WorkspaceId', bridge.receiver.workspaceId, 'AMP workspace id');
    output('IotTopic', bridge.topicFilter, 'Topic filter of the IoT rule');
    output('IotRuleName', bridge.ruleName, 'IoT topic rule name');
    output('IngestFunctionName', bridge.function.functionName, 'Ingest Lambda function');
    if (bridge.dashboard) output('DashboardName', bridge.dashboard.dashboardName, 'CloudWatch dashboard');
  }
}
