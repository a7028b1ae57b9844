// IoT topic rule → SQS → ingest Lambda → Prometheus remote write, with its dead-letter handling and operations.
// The resources are created directly in this construct (not in nested ones), so their logical ids stay stable.
import { Aws, Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { CfnWorkspace } from 'aws-cdk-lib/aws-aps';
import type { Alarm, Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Effect, PolicyStatement, Role, ServicePrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import { CfnTopicRule } from 'aws-cdk-lib/aws-iot';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption, type QueueProps } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_SERVICE_NAME } from '../functions/interface/index.js';
import { BridgeAlarms } from './alarms.js';
import { BridgeDashboard } from './dashboard.js';
import { ingestCode } from './ingest-asset.js';
import { ingestEnvironment, type IngestEnvironmentInput } from './ingest-environment.js';
import {
  needsSecret,
  resolveReceiver,
  type NewWorkspaceOptions,
  type Receiver,
  type RemoteWriteAuth,
} from './receiver.js';
import {
  DEFAULT_ROUTE_NAME,
  RouteRules,
  RoutesLayer,
  routeRuleSpecs,
  type RouteProps,
  type RouteRuleSpec,
} from './routes.js';
import { BridgePropError, checkInteger } from './validation.js';

export type { NewWorkspaceOptions, RemoteWriteAuth } from './receiver.js';

export const DEFAULT_TOPIC_SQL = "SELECT * FROM 'telemetry/#'";

/** Concurrent invocations of the event source unless `maxConcurrency` says otherwise. */
export const DEFAULT_MAX_CONCURRENCY = 10;

/** Every setting of the bridge. Nothing is required: the defaults deploy a complete bridge into a new AMP workspace. */
export interface IotPrometheusBridgeProps {
  /**
   * The AMP workspace the bridge creates. Not allowed together with `existingWorkspaceArn` or `remoteWriteUrl`.
   * @default alias = stack name, 150 days retention, 600 s out-of-order window, retained on `cdk destroy`
   */
  readonly workspace?: NewWorkspaceOptions;
  /**
   * Write to this existing AMP workspace (`arn:aws:aps:<region>:<account>:workspace/<id>`) instead of creating one.
   * The function may `aps:RemoteWrite` to this workspace only.
   * @default a new workspace
   */
  readonly existingWorkspaceArn?: string;
  /**
   * Write to this remote-write URL: any Prometheus-compatible receiver, or an AMP workspace's
   * `…/api/v1/remote_write` (its ARN is then derived with the stack's account unless `existingWorkspaceArn` is given).
   * @default the workspace's own remote-write URL
   */
  readonly remoteWriteUrl?: string;
  /**
   * How the function authenticates (`REMOTE_WRITE_AUTH`).
   * @default `sigv4` for AMP (a workspace or an `aps-workspaces.` URL), else `none`
   */
  readonly remoteWriteAuth?: RemoteWriteAuth;
  /**
   * Allow `sigv4` to a host that is not AMP (`aps-workspaces.<region>.amazonaws.com`), for example a proxy in
   * front of a workspace (`REMOTE_WRITE_SIGV4_ANY_HOST`). Without it, the function's signature and session token
   * are sent to AMP only.
   * @default false
   */
  readonly sigv4AnyHost?: boolean;
  /**
   * Secrets Manager secret holding the bearer token or `{"username","password"}` (`REMOTE_WRITE_SECRET_ARN`);
   * required for `bearer` and `basic`. The function may read this secret only.
   * @default no secret
   */
  readonly remoteWriteSecret?: ISecret;
  /**
   * Labels added to every series (`EXTRA_LABELS`); a label set by the message wins.
   * @default no extra labels
   */
  readonly extraLabels?: Readonly<Record<string, string>>;
  /**
   * Labels set on every series that a message can never override (`FORCED_LABELS`), for example the
   * deployment's `env` or `tenant`.
   * @default no forced labels
   */
  readonly forcedLabels?: Readonly<Record<string, string>>;
  /**
   * Oldest sample timestamp accepted, relative to the message's arrival (`MAX_SAMPLE_AGE`); an older sample
   * makes its message invalid. AMP discards samples older than 1 hour.
   * @default Duration.hours(1)
   */
  readonly maxSampleAge?: Duration;
  /**
   * How far ahead of the message's arrival a sample timestamp may be (`MAX_SAMPLE_FUTURE`); Prometheus and
   * Cortex-based receivers refuse samples more than 10 minutes ahead.
   * @default Duration.minutes(10)
   */
  readonly maxSampleFuture?: Duration;
  /**
   * More environment variables for the function: the ingest tunables of docs/configuration.md (e.g. `REMOTE_WRITE_CONCURRENCY`,
   * `REMOTE_WRITE_TIMEOUT_MS`). They cannot replace a variable the construct sets.
   * @default none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * CPU architecture of the function; the asset carries the snappy binary of this architecture.
   * @default Architecture.ARM_64
   */
  readonly architecture?: Architecture;
  /**
   * Memory of the function in MB (Lambda gives CPU in proportion).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Function timeout; the source queue's visibility timeout is 6 times this plus the batching window.
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Log level of the function (`POWERTOOLS_LOG_LEVEL`: DEBUG, INFO, WARN or ERROR).
   * @default 'INFO'
   */
  readonly logLevel?: string;
  /**
   * The `service` dimension of the function's metrics and its log's service name (`POWERTOOLS_SERVICE_NAME`).
   * @default 'iot-prometheus-bridge'
   */
  readonly serviceName?: string;
  /**
   * Most messages per invocation (1 to 10,000).
   * @default 1000
   */
  readonly batchSize?: number;
  /**
   * How long the event source gathers messages before it invokes the function (0 to 300 s; more than 10 messages
   * per batch need at least 1 s).
   * @default Duration.seconds(5)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Most concurrent invocations the event source starts (2 to 1,000): spares the receiver, and keeps a flood of
   * device messages from taking the account's Lambda concurrency.
   * @default 10
   */
  readonly maxConcurrency?: number;
  /**
   * Deliveries of a message before SQS moves it to the dead-letter queue (1 to 1,000); the function gets it as
   * `MAX_RECEIVE_COUNT` and isolates failing messages on their final receive.
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /**
   * How long the source queue keeps a message; must be shorter than the dead-letter queue's 14 days, because a
   * dead-lettered message keeps its original enqueue time.
   * @default Duration.days(4)
   */
  readonly sourceQueueRetention?: Duration;
  /**
   * Encrypt the three queues with this customer managed key instead of SQS-managed keys; the IoT rule's role and
   * the function are granted its use.
   * @default SQS-managed server-side encryption
   */
  readonly queueEncryptionKey?: IKey;
  /**
   * The IoT rule's SQL; its topic filter selects the telemetry (the message formats of docs/formats.md).
   * @default "SELECT * FROM 'telemetry/#'"
   */
  readonly topicSql?: string;
  /**
   * Routes: one IoT topic rule per route into the source queue, each wrapping the MQTT payload in the envelope,
   * and the routes in a Lambda layer for the function (docs/connecting-devices.md). Not together with `topicSql`
   * (a route may have its own `sql`).
   * @default one default route: `topicSql` under `ruleName`, exactly the rule of a bridge without routes
   */
  readonly routes?: readonly RouteProps[];
  /**
   * Name of the IoT topic rule (letters, digits and underscores only).
   * @default a unique name derived from the construct path
   */
  readonly ruleName?: string;
  /**
   * The rule's SQS action base64-encodes the payload (needed for payloads that are not UTF-8 text; the function
   * decodes both).
   * @default false
   */
  readonly useBase64?: boolean;
  /**
   * Create the alarms.
   * @default true
   */
  readonly alarms?: boolean;
  /**
   * Alarm and OK actions notify this topic.
   * @default alarms have no actions
   */
  readonly alarmTopic?: ITopic;
  /**
   * Age of the oldest message in the source queue, sustained for 3 minutes, that raises the ingest-lag alarm.
   * @default Duration.minutes(5)
   */
  readonly ingestLagThreshold?: Duration;
  /**
   * Remote-write retries per 5 minutes, sustained for 15 minutes, that raise the retries alarm.
   * @default 50
   */
  readonly remoteWriteRetriesThreshold?: number;
  /**
   * Create the CloudWatch dashboard.
   * @default true
   */
  readonly dashboard?: boolean;
}

const RULE_NAME = /^[a-zA-Z0-9_]{1,128}$/;

/** The topic filter in the rule's `FROM '…'`, for the stack output; the SQL itself when it has none. */
export function topicFilterOf(sql: string): string {
  return /\bFROM\s+'([^']*)'/i.exec(sql)?.[1] ?? sql;
}

/** The props with their defaults applied and checked. */
interface Settings {
  readonly serviceName: string;
  readonly timeout: Duration;
  readonly batchingWindow: Duration;
  readonly batchSize: number;
  readonly maxConcurrency: number;
  readonly maxReceiveCount: number;
  readonly sourceRetention: Duration;
  readonly ruleName: string;
  /** The rules to create: the default route's, or one per route (validated). */
  readonly rules: readonly RouteRuleSpec[];
}

// A dead-lettered message keeps its original enqueue time, so the dead-letter queue keeps messages longest.
const DEAD_LETTER_RETENTION = Duration.days(14);

function durationSeconds(
  prop: string,
  value: Duration,
  setting: Parameters<typeof checkInteger>[1],
): Duration {
  checkInteger(prop, setting, value.toSeconds());
  return value;
}

export class IotPrometheusBridge extends Construct {
  readonly sourceQueue: Queue;
  readonly deadLetterQueue: Queue;
  /** Keeps the IoT rule's failed deliveries (the rule's error action). */
  readonly ruleErrorQueue: Queue;
  readonly function: LambdaFunction;
  /** The first route's rule (the only rule without routes). */
  readonly topicRule: CfnTopicRule;
  /** One rule per route; without routes, the one rule of `topicSql`. */
  readonly topicRules: readonly CfnTopicRule[];
  /** The rule's name without routes; with routes, the prefix of the routes' rule names. */
  readonly ruleName: string;
  /** The name of every rule, in the order of `topicRules`. */
  readonly ruleNames: readonly string[];
  /** The topic filter of the rule's SQL; with routes, the routes' filters separated by spaces. */
  readonly topicFilter: string;
  /** The routes layer the function reads routes.json from, when routes are given. */
  readonly routesLayer?: RoutesLayer;
  readonly receiver: Receiver;
  /** The workspace this construct created, if it created one. */
  readonly workspace?: CfnWorkspace;
  readonly alarms: readonly Alarm[];
  readonly dashboard?: Dashboard;

  constructor(scope: Construct, id: string, props: IotPrometheusBridgeProps = {}) {
    super(scope, id);
    const settings = this.settingsOf(props);
    this.ruleName = settings.ruleName;
    this.ruleNames = settings.rules.map((rule) => rule.ruleName);
    this.topicFilter = settings.rules.map((rule) => rule.topicFilter).join(' ');
    this.receiver = resolveReceiver(this, props);
    this.workspace = this.receiver.createdWorkspace;
    if (needsSecret(this.receiver.auth) && !props.remoteWriteSecret) {
      throw new BridgePropError('remoteWriteAuth', `${this.receiver.auth} needs remoteWriteSecret`);
    }
    this.deadLetterQueue = this.createQueue('DeadLetterQueue', props, {
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    this.sourceQueue = this.createQueue('SourceQueue', props, {
      retentionPeriod: settings.sourceRetention,
      // AWS's advice for Lambda event sources: 6x the function timeout, plus the batching window.
      visibilityTimeout: Duration.seconds(
        settings.timeout.toSeconds() * 6 + settings.batchingWindow.toSeconds(),
      ),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: settings.maxReceiveCount },
    });
    this.ruleErrorQueue = this.createQueue('RuleErrorQueue', props, {
      retentionPeriod: DEAD_LETTER_RETENTION,
    });
    Validations.of(this.ruleErrorQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'The rule error queue is itself the terminal store of the IoT rule error action; nothing consumes it, so a dead-letter queue behind it would never receive a message.',
    });
    // The routes travel as /opt/iot-prometheus-bridge/routes.json, so the code asset stays the same bytes.
    this.routesLayer = props.routes ? new RoutesLayer(this, 'Routes', { routes: props.routes }) : undefined;
    this.function = this.createFunction(props, settings);
    this.function.addEventSource(
      new SqsEventSource(this.sourceQueue, {
        batchSize: settings.batchSize,
        maxBatchingWindow: settings.batchingWindow,
        reportBatchItemFailures: true,
        maxConcurrency: settings.maxConcurrency,
      }),
    );
    this.topicRules = this.createTopicRules(props, settings);
    this.topicRule = this.topicRules[0]!;
    this.alarms = props.alarms === false ? [] : this.createAlarms(props, settings.serviceName);
    if (props.dashboard !== false) this.dashboard = this.createDashboard(settings.serviceName);
  }

  private settingsOf(props: IotPrometheusBridgeProps): Settings {
    const timeout = durationSeconds('timeout', props.timeout ?? Duration.seconds(60), 'timeoutSeconds');
    const batchingWindow = durationSeconds(
      'maxBatchingWindow',
      props.maxBatchingWindow ?? Duration.seconds(5),
      'maxBatchingWindowSeconds',
    );
    const batchSize = checkInteger('batchSize', 'batchSize', props.batchSize ?? 1000);
    if (batchSize > 10 && batchingWindow.toSeconds() < 1) {
      throw new BridgePropError(
        'maxBatchingWindow',
        `must be at least 1 second for a batchSize above 10, got 0`,
      );
    }
    const sourceRetention = props.sourceQueueRetention ?? Duration.days(4);
    if (sourceRetention.toSeconds() >= DEAD_LETTER_RETENTION.toSeconds()) {
      throw new BridgePropError(
        'sourceQueueRetention',
        'must be shorter than the dead-letter queue retention of 14 days',
      );
    }
    const ruleName =
      props.ruleName ??
      Names.uniqueId(this)
        .replace(/[^a-zA-Z0-9_]/g, '_')
        .slice(-128);
    if (!RULE_NAME.test(ruleName)) {
      throw new BridgePropError(
        'ruleName',
        `allows only letters, digits and underscores (1 to 128), got ${ruleName}`,
      );
    }
    return {
      rules: this.ruleSpecsOf(props, ruleName),
      serviceName: props.serviceName ?? DEFAULT_SERVICE_NAME,
      timeout,
      batchingWindow,
      batchSize,
      maxConcurrency: checkInteger(
        'maxConcurrency',
        'maxConcurrency',
        props.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY,
      ),
      maxReceiveCount: checkInteger('maxReceiveCount', 'maxReceiveCount', props.maxReceiveCount ?? 5),
      sourceRetention,
      ruleName,
    };
  }

  private ruleSpecsOf(props: IotPrometheusBridgeProps, ruleName: string): readonly RouteRuleSpec[] {
    if (props.routes === undefined) {
      return [
        {
          route: DEFAULT_ROUTE_NAME,
          ruleName,
          sql: props.topicSql ?? DEFAULT_TOPIC_SQL,
          topicFilter: topicFilterOf(props.topicSql ?? DEFAULT_TOPIC_SQL),
          envelope: false,
        },
      ];
    }
    if (props.topicSql !== undefined) {
      throw new BridgePropError(
        'topicSql',
        'applies without routes only; with routes, give a route its own sql',
      );
    }
    try {
      return routeRuleSpecs(props.routes, ruleName);
    } catch (error) {
      throw new BridgePropError('routes', (error as Error).message);
    }
  }

  /** A queue that denies requests without TLS, encrypted with the customer key when one is given. */
  private createQueue(id: string, props: IotPrometheusBridgeProps, queueProps: QueueProps): Queue {
    const encryption = props.queueEncryptionKey
      ? { encryption: QueueEncryption.KMS, encryptionMasterKey: props.queueEncryptionKey }
      : { encryption: QueueEncryption.SQS_MANAGED };
    return new Queue(this, id, { ...encryption, enforceSSL: true, ...queueProps });
  }

  private createFunction(props: IotPrometheusBridgeProps, settings: Settings): LambdaFunction {
    const architecture = props.architecture ?? Architecture.ARM_64;
    const logGroup = new LogGroup(this, 'IngestLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role instead of the default one: the default attaches the AWSLambdaBasicExecutionRole managed policy,
    // which may write to every log group of the account.
    const role = new Role(this, 'IngestRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'IoT Prometheus bridge ingest function',
    });
    logGroup.grantWrite(role);
    const input: IngestEnvironmentInput = {
      props,
      receiver: this.receiver,
      deadLetterQueueUrl: this.deadLetterQueue.queueUrl,
      serviceName: settings.serviceName,
      maxReceiveCount: settings.maxReceiveCount,
    };
    const fn = new LambdaFunction(this, 'Ingest', {
      ...(this.routesLayer ? { layers: [this.routesLayer.layer] } : {}),
      description: 'Remote-writes IoT telemetry from SQS to Prometheus',
      // The newest Node.js runtime this aws-cdk-lib knows (cdk-nag AwsSolutions-L1 checks the same).
      runtime: Runtime.NODEJS_LATEST,
      architecture,
      handler: 'index.handler',
      code: ingestCode(architecture),
      memorySize: checkInteger('memorySize', 'memorySize', props.memorySize ?? 512),
      timeout: settings.timeout,
      role,
      logGroup,
      environment: ingestEnvironment(input),
    });
    this.grantFunction(role, props);
    return fn;
  }

  /** What the function may do beyond logging and consuming its queue: write, dead-letter, read its secret. */
  private grantFunction(role: Role, props: IotPrometheusBridgeProps): void {
    if (this.receiver.workspaceArn) {
      role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['aps:RemoteWrite'], resources: [this.receiver.workspaceArn] }),
      );
    }
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
    );
    // Sending to a KMS-encrypted dead-letter queue needs a data key (the event source grants decrypt itself).
    this.grantQueueKey(role, props.queueEncryptionKey);
    props.remoteWriteSecret?.grantRead(role);
  }

  private grantQueueKey(role: IRole, key: IKey | undefined): void {
    if (!key) return;
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['kms:GenerateDataKey', 'kms:Decrypt'], resources: [key.keyArn] }),
    );
  }

  /** The rules' role, which only IoT acting for these very rules of this account may assume (no confused deputy). */
  private createTopicRuleRole(ruleNames: readonly string[]): Role {
    const ruleArns = ruleNames.map((resourceName) =>
      Stack.of(this).formatArn({ service: 'iot', resource: 'rule', resourceName }),
    );
    return new Role(this, 'TopicRuleRole', {
      assumedBy: new ServicePrincipal('iot.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnEquals: { 'aws:SourceArn': ruleArns.length === 1 ? ruleArns[0]! : ruleArns },
        },
      }),
      description: 'Lets the IoT rule send to the bridge source queue and its error queue, nothing else',
    });
  }

  private createTopicRules(props: IotPrometheusBridgeProps, settings: Settings): readonly CfnTopicRule[] {
    const role = this.createTopicRuleRole(this.ruleNames);
    role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['sqs:SendMessage'],
        resources: [this.sourceQueue.queueArn, this.ruleErrorQueue.queueArn],
      }),
    );
    this.grantQueueKey(role, props.queueEncryptionKey);
    if (props.routes !== undefined) {
      return new RouteRules(this, 'RouteRules', {
        routes: props.routes,
        baseRuleName: settings.ruleName,
        queue: this.sourceQueue,
        role,
        errorQueue: this.ruleErrorQueue,
        useBase64: props.useBase64,
      }).rules;
    }
    const rule = new CfnTopicRule(this, 'TopicRule', {
      ruleName: settings.ruleName,
      topicRulePayload: {
        description: 'IoT telemetry to the Prometheus bridge source queue',
        sql: props.topicSql ?? DEFAULT_TOPIC_SQL,
        awsIotSqlVersion: '2016-03-23',
        ruleDisabled: false,
        actions: [
          {
            sqs: {
              queueUrl: this.sourceQueue.queueUrl,
              roleArn: role.roleArn,
              useBase64: props.useBase64 ?? false,
            },
          },
        ],
        errorAction: {
          sqs: { queueUrl: this.ruleErrorQueue.queueUrl, roleArn: role.roleArn, useBase64: false },
        },
      },
    });
    // The rule must not be created before its role may send, or its first deliveries fail.
    rule.node.addDependency(role);
    return [rule];
  }

  private createAlarms(props: IotPrometheusBridgeProps, serviceName: string): Alarm[] {
    const lag = props.ingestLagThreshold ?? Duration.minutes(5);
    durationSeconds('ingestLagThreshold', lag, 'ingestLagThresholdSeconds');
    return new BridgeAlarms(this, 'Alarms', {
      function: this.function,
      sourceQueue: this.sourceQueue,
      deadLetterQueue: this.deadLetterQueue,
      ruleErrorQueue: this.ruleErrorQueue,
      serviceName,
      ingestLagThreshold: lag,
      remoteWriteRetriesThreshold: checkInteger(
        'remoteWriteRetriesThreshold',
        'remoteWriteRetriesThreshold',
        props.remoteWriteRetriesThreshold ?? 50,
      ),
      action: props.alarmTopic ? new SnsAction(props.alarmTopic) : undefined,
    }).alarms;
  }

  private createDashboard(serviceName: string): Dashboard {
    return new BridgeDashboard(this, 'Operations', {
      function: this.function,
      sourceQueue: this.sourceQueue,
      deadLetterQueue: this.deadLetterQueue,
      ruleErrorQueue: this.ruleErrorQueue,
      serviceName,
      ruleNames: this.ruleNames,
      alarms: this.alarms,
      workspaceId: this.receiver.workspaceId,
    }).dashboard;
  }
}
