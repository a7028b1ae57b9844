// The deployable stack: every operator setting of IotPrometheusBridge as a CDK context key (`cdk deploy -c key=value`
// or the `context` of cdk.json). docs/deploy.md lists them; CONTEXT_KEYS below is the one definition. A refused
// key raises a ContextError naming it, which infra/app.ts prints as one line.
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct, Node } from 'constructs';
import {
  DEFAULT_MAX_SAMPLE_AGE,
  DEFAULT_MAX_SAMPLE_FUTURE,
  DEFAULT_SERVICE_NAME,
  parseDuration,
} from '../functions/interface/index.js';
import {
  DEFAULT_MAX_CONCURRENCY,
  IotPrometheusBridge,
  type IotPrometheusBridgeProps,
} from './iot-prometheus-bridge.js';
import { needsSecret, REMOTE_WRITE_AUTHS, type RemoteWriteAuth } from './receiver.js';
import { routesFromContext, type RouteProps } from './routes.js';
import { BridgePropError, ContextError, integerProblem, type IntegerSetting } from './validation.js';

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
  sigv4AnyHost: 'false',
  extraLabels: '{}',
  forcedLabels: '{}',
  maxSampleAge: DEFAULT_MAX_SAMPLE_AGE,
  maxSampleFuture: DEFAULT_MAX_SAMPLE_FUTURE,
  functionEnvironment: '{}',
  architecture: 'arm64',
  memorySize: '512',
  timeoutSeconds: '60',
  logRetentionDays: '30',
  logLevel: 'INFO',
  serviceName: DEFAULT_SERVICE_NAME,
  batchSize: '1000',
  maxBatchingWindowSeconds: '5',
  maxConcurrency: String(DEFAULT_MAX_CONCURRENCY),
  maxReceiveCount: '5',
  sourceQueueRetentionDays: '4',
  queueKms: 'false',
  topicSql: "SELECT * FROM 'telemetry/#'",
  routes: 'one default route',
  ruleName: 'derived from the stack name',
  useBase64: 'false',
  alarms: 'true',
  alarmTopicArn: 'none',
  ingestLagThresholdSeconds: '300',
  remoteWriteRetriesThreshold: '50',
  dashboard: 'true',
} as const;

export type ContextKey = keyof typeof CONTEXT_KEYS;

/** The context key of each prop whose name differs from its key; the others share their name. */
const CONTEXT_KEY_OF_PROP: Readonly<Record<string, ContextKey>> = {
  remoteWriteSecret: 'remoteWriteSecretArn',
  environment: 'functionEnvironment',
  timeout: 'timeoutSeconds',
  maxBatchingWindow: 'maxBatchingWindowSeconds',
  sourceQueueRetention: 'sourceQueueRetentionDays',
  logRetention: 'logRetentionDays',
  ingestLagThreshold: 'ingestLagThresholdSeconds',
  alarmTopic: 'alarmTopicArn',
  queueEncryptionKey: 'queueKms',
  'workspace.retentionPeriodInDays': 'workspaceRetentionDays',
  'workspace.outOfOrderTimeWindowInSeconds': 'outOfOrderWindowSeconds',
  'workspace.alias': 'workspaceAlias',
};

/** A shown value, cut short; URLs are never shown, they may carry credentials. */
function shown(key: ContextKey, value: unknown): string {
  if (key === 'remoteWriteUrl') return 'the given URL';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

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
    if (typeof value !== 'string') throw new ContextError(key, `must be a string, got ${shown(key, value)}`);
    return value;
  }

  /** An integer in the range of its setting; every numeric key is read through here. */
  integer(key: ContextKey & IntegerSetting): number | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
    const problem = Number.isInteger(number)
      ? integerProblem(key, number)
      : `must be an integer, got ${shown(key, value)}`;
    if (problem !== undefined) throw new ContextError(key, `${key} ${problem}`);
    return number;
  }

  boolean(key: ContextKey): boolean | undefined {
    const value = this.raw(key);
    if (value === undefined || typeof value === 'boolean') return value;
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw new ContextError(key, `${key} must be true or false, got ${shown(key, value)}`);
  }

  oneOf<T extends string>(key: ContextKey, allowed: readonly T[]): T | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) {
      throw new ContextError(key, `${key} must be one of ${allowed.join(', ')}, got ${shown(key, value)}`);
    }
    return value as T;
  }

  duration(key: ContextKey): Duration | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    const ms = parseDuration(value);
    if (ms === undefined) {
      throw new ContextError(
        key,
        `${key} must be a duration such as 90s, 10m or 1h30m, got ${shown(key, value)}`,
      );
    }
    return Duration.millis(ms);
  }

  labels(key: ContextKey): Record<string, string> | undefined {
    let value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value === 'string') {
      try {
        value = JSON.parse(value) as unknown;
      } catch {
        value = undefined;
      }
    }
    if (
      typeof value !== 'object' ||
      value === null ||
      Array.isArray(value) ||
      !Object.values(value).every((v) => typeof v === 'string')
    ) {
      throw new ContextError(
        key,
        `${key} must be a JSON object of strings, got ${shown(key, this.raw(key))}`,
      );
    }
    return value as Record<string, string>;
  }
}

const seconds = (value: number | undefined) => (value === undefined ? undefined : Duration.seconds(value));

function retentionDays(days: number | undefined): RetentionDays | undefined {
  if (days === undefined) return undefined;
  const allowed = Object.values(RetentionDays).filter((v): v is number => typeof v === 'number');
  if (!allowed.includes(days)) {
    throw new ContextError(
      'logRetentionDays',
      `logRetentionDays must be one of ${allowed.join(', ')}, got ${days}`,
    );
  }
  return days as RetentionDays;
}

function integerKey(ctx: ContextReader, key: ContextKey): number | undefined {
  const value = ctx.raw(key);
  if (value === undefined) return undefined;
  const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isInteger(number))
    throw new ContextError(key, `${key} must be an integer, got ${shown(key, value)}`);
  return number;
}

// Context keys of CDK itself and its feature flags are namespaced (`@aws-cdk/…`, `aws:cdk:…`); these plain ones are
// the CLI's own.
const KNOWN_FOREIGN_KEYS = new Set(['cli-telemetry']);

function refuseUnknownKeys(scope: Construct): void {
  const unknown = Object.keys(scope.node.getAllContext()).filter(
    (key) => /^[a-z][A-Za-z0-9]*$/.test(key) && !(key in CONTEXT_KEYS) && !KNOWN_FOREIGN_KEYS.has(key),
  );
  if (unknown.length > 0) {
    throw new ContextError(
      unknown[0]!,
      `unknown context key(s) ${unknown.join(', ')}; the bridge reads ${Object.keys(CONTEXT_KEYS).join(', ')}`,
    );
  }
}

/** Where the bridge writes, and how it authenticates. */
function receiverProps(scope: Construct, ctx: ContextReader): IotPrometheusBridgeProps {
  const workspaceSettings = {
    alias: ctx.string('workspaceAlias'),
    retentionPeriodInDays: ctx.integer('workspaceRetentionDays'),
    outOfOrderTimeWindowInSeconds: ctx.integer('outOfOrderWindowSeconds'),
    removalPolicy: ctx.boolean('retainWorkspace') === false ? RemovalPolicy.DESTROY : undefined,
  };
  const workspaceKeys = (
    ['workspaceAlias', 'workspaceRetentionDays', 'outOfOrderWindowSeconds', 'retainWorkspace'] as const
  ).filter((key) => ctx.raw(key) !== undefined);
  const existingWorkspaceArn = ctx.string('existingWorkspaceArn');
  const remoteWriteUrl = ctx.string('remoteWriteUrl');
  if (workspaceKeys.length > 0 && (existingWorkspaceArn || remoteWriteUrl)) {
    throw new ContextError(
      workspaceKeys[0]!,
      `${workspaceKeys.join(', ')} apply to a new workspace; leave them out with existingWorkspaceArn or remoteWriteUrl`,
    );
  }
  const remoteWriteAuth = ctx.oneOf<RemoteWriteAuth>('remoteWriteAuth', REMOTE_WRITE_AUTHS);
  const secretArn = ctx.string('remoteWriteSecretArn');
  if (remoteWriteAuth !== undefined && needsSecret(remoteWriteAuth) && !secretArn) {
    throw new ContextError(
      'remoteWriteSecretArn',
      `remoteWriteAuth=${remoteWriteAuth} needs remoteWriteSecretArn (-c remoteWriteSecretArn=<secret ARN>)`,
    );
  }
  return {
    workspace: workspaceKeys.length > 0 ? workspaceSettings : undefined,
    existingWorkspaceArn,
    remoteWriteUrl,
    remoteWriteAuth,
    sigv4AnyHost: ctx.boolean('sigv4AnyHost'),
    remoteWriteSecret: secretArn
      ? Secret.fromSecretCompleteArn(scope, 'RemoteWriteSecret', secretArn)
      : undefined,
  };
}

/** The function, its input rules and its event source. */
function functionProps(ctx: ContextReader): IotPrometheusBridgeProps {
  const architecture = ctx.oneOf('architecture', ['arm64', 'x86_64'] as const);
  return {
    extraLabels: ctx.labels('extraLabels'),
    forcedLabels: ctx.labels('forcedLabels'),
    maxSampleAge: ctx.duration('maxSampleAge'),
    maxSampleFuture: ctx.duration('maxSampleFuture'),
    environment: ctx.labels('functionEnvironment'),
    architecture: architecture === 'x86_64' ? Architecture.X86_64 : Architecture.ARM_64,
    memorySize: ctx.integer('memorySize'),
    timeout: seconds(ctx.integer('timeoutSeconds')),
    logRetention: retentionDays(integerKey(ctx, 'logRetentionDays')),
    logLevel: ctx.oneOf('logLevel', ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const),
    serviceName: ctx.string('serviceName'),
    batchSize: ctx.integer('batchSize'),
    maxBatchingWindow: seconds(ctx.integer('maxBatchingWindowSeconds')),
    maxConcurrency: ctx.integer('maxConcurrency'),
    maxReceiveCount: ctx.integer('maxReceiveCount'),
  };
}

/** The `routes` key: a JSON array in cdk.json, or its text from `-c routes='[…]'`; errors name the route and option. */
function routesOf(ctx: ContextReader): RouteProps[] | undefined {
  try {
    return routesFromContext(ctx.raw('routes'));
  } catch (error) {
    throw new ContextError('routes', (error as Error).message.replace(/^context /, ''));
  }
}

/** Queues, the IoT rule, alarms and dashboard. */
function operationsProps(scope: Construct, ctx: ContextReader): IotPrometheusBridgeProps {
  const alarmTopicArn = ctx.string('alarmTopicArn');
  const retention = ctx.integer('sourceQueueRetentionDays');
  return {
    sourceQueueRetention: retention === undefined ? undefined : Duration.days(retention),
    queueEncryptionKey: ctx.boolean('queueKms')
      ? new Key(scope, 'QueueKey', {
          description: 'Encrypts the IoT Prometheus bridge queues',
          enableKeyRotation: true,
        })
      : undefined,
    topicSql: ctx.string('topicSql'),
    routes: routesOf(ctx),
    ruleName: ctx.string('ruleName'),
    useBase64: ctx.boolean('useBase64'),
    alarms: ctx.boolean('alarms'),
    alarmTopic: alarmTopicArn ? Topic.fromTopicArn(scope, 'AlarmTopic', alarmTopicArn) : undefined,
    ingestLagThreshold: seconds(ctx.integer('ingestLagThresholdSeconds')),
    remoteWriteRetriesThreshold: ctx.integer('remoteWriteRetriesThreshold'),
    dashboard: ctx.boolean('dashboard'),
  };
}

/**
 * Reads the bridge's props from the context. Resources it needs for them (the queue key, imported secret and topic)
 * are created in `scope`.
 */
export function bridgePropsFromContext(scope: Construct): IotPrometheusBridgeProps {
  refuseUnknownKeys(scope);
  const ctx = new ContextReader(scope.node);
  return { ...receiverProps(scope, ctx), ...functionProps(ctx), ...operationsProps(scope, ctx) };
}

/** The construct's refusal of a prop, as the refusal of the context key it came from. */
export function contextErrorOf(error: BridgePropError): ContextError {
  const key =
    CONTEXT_KEY_OF_PROP[error.prop] ?? (error.prop in CONTEXT_KEYS ? (error.prop as ContextKey) : undefined);
  return new ContextError(key ?? error.prop, error.message);
}

export class BridgeStack extends Stack {
  readonly bridge: IotPrometheusBridge;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      description: 'IoT Core → SQS → Lambda → Prometheus remote write (iot-prometheus-bridge)',
      ...props,
    });
    const bridgeProps = bridgePropsFromContext(this);
    try {
      this.bridge = new IotPrometheusBridge(this, 'Bridge', {
        ...bridgeProps,
        ruleName: bridgeProps.ruleName ?? this.stackName.replace(/[^a-zA-Z0-9_]/g, '_'),
      });
    } catch (error) {
      throw error instanceof BridgePropError ? contextErrorOf(error) : error;
    }
    this.addOutputs();
  }

  private addOutputs(): void {
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
    // With routes, one value per route; without, the outputs stay as they were.
    const perRoute = bridge.routesLayer ? ' (of each route, separated by spaces)' : '';
    output('IotTopic', bridge.topicFilter, `Topic filter of the IoT rule${perRoute}`);
    output('IotRuleName', bridge.ruleNames.join(' '), `IoT topic rule name${perRoute}`);
    output('IngestFunctionName', bridge.function.functionName, 'Ingest Lambda function');
    if (bridge.dashboard) output('DashboardName', bridge.dashboard.dashboardName, 'CloudWatch dashboard');
  }
}
