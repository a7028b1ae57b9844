// IoT topic rule → SQS → ingest Lambda → Prometheus remote write, with its dead-letter handling and operations.
import { Duration, Names, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { CfnWorkspace } from 'aws-cdk-lib/aws-aps';
import type { Alarm, Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnTopicRule } from 'aws-cdk-lib/aws-iot';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BridgeAlarms, METRICS_NAMESPACE } from './alarms.js';
import { BridgeDashboard } from './dashboard.js';
import { ingestCode } from './ingest-asset.js';
import {
  resolveReceiver,
  type NewWorkspaceOptions,
  type Receiver,
  type RemoteWriteAuth,
} from './receiver.js';
import { INGEST_NODE_OPTIONS } from './ingest-node-options.js';

export type { NewWorkspaceOptions, RemoteWriteAuth } from './receiver.js';

export const DEFAULT_TOPIC_SQL = "SELECT * FROM 'telemetry/#'";

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
   * More environment variables for the function: the ingest tunables of README.md (e.g. `REMOTE_WRITE_CONCURRENCY`,
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
   * Most concurrent invocations the event source starts (2 to 1,000), to spare the receiver.
   * @default no limit beyond the account's concurrency
   */
  readonly maxConcurrency?: number;
  /**
   * Deliveries of a message before SQS moves it to the dead-letter queue.
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
   * The IoT rule's SQL; its topic filter selects the telemetry (CONTRACT.md section 3 formats).
   * @default "SELECT * FROM 'telemetry/#'"
   */
  readonly topicSql?: string;
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

/** Variables the construct sets from its props; `environment` may not replace them. */
const MANAGED_ENVIRONMENT: readonly string[] = [
  'REMOTE_WRITE_URL',
  'REMOTE_WRITE_AUTH',
  'REMOTE_WRITE_SECRET_ARN',
  'DEAD_LETTER_QUEUE_URL',
  'EXTRA_LABELS',
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_LOG_LEVEL',
];

function checkInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** The topic filter in the rule's `FROM '…'`, for the stack output; the SQL itself when it has none. */
export function topicFilterOf(sql: string): string {
  return /\bFROM\s+'([^']*)'/i.exec(sql)?.[1] ?? sql;
}

export class IotPrometheusBridge extends Construct {
  readonly sourceQueue: Queue;
  readonly deadLetterQueue: Queue;
  /** Keeps the IoT rule's failed deliveries (the rule's error action). */
  readonly ruleErrorQueue: Queue;
  readonly function: LambdaFunction;
  readonly topicRule: CfnTopicRule;
  readonly ruleName: string;
  /** The topic filter of the rule's SQL. */
  readonly topicFilter: string;
  readonly receiver: Receiver;
  /** The workspace this construct created, if it created one. */
  readonly workspace?: CfnWorkspace;
  readonly alarms: readonly Alarm[];
  readonly dashboard?: Dashboard;

  constructor(scope: Construct, id: string, props: IotPrometheusBridgeProps = {}) {
    super(scope, id);
    const serviceName = props.serviceName ?? 'iot-prometheus-bridge';
    const timeout = props.timeout ?? Duration.seconds(60);
    const batchingWindow = props.maxBatchingWindow ?? Duration.seconds(5);
    const maxReceiveCount = checkInteger('maxReceiveCount', props.maxReceiveCount ?? 5, 1, 1000);
    const sourceRetention = props.sourceQueueRetention ?? Duration.days(4);
    const deadLetterRetention = Duration.days(14);
    if (sourceRetention.toSeconds() >= deadLetterRetention.toSeconds()) {
      throw new Error('sourceQueueRetention must be shorter than the dead-letter queue retention of 14 days');
    }
    const ruleName =
      props.ruleName ??
      Names.uniqueId(this)
        .replace(/[^a-zA-Z0-9_]/g, '_')
        .slice(-128);
    if (!RULE_NAME.test(ruleName)) {
      throw new Error(`ruleName allows only letters, digits and underscores (1 to 128), got ${ruleName}`);
    }
    this.ruleName = ruleName;
    this.topicFilter = topicFilterOf(props.topicSql ?? DEFAULT_TOPIC_SQL);

    this.receiver = resolveReceiver(this, props);
    this.workspace = this.receiver.createdWorkspace;
    if ((this.receiver.auth === 'bearer' || this.receiver.auth === 'basic') && !props.remoteWriteSecret) {
      throw new Error(`remoteWriteAuth ${this.receiver.auth} needs remoteWriteSecret`);
    }

    const encryption = props.queueEncryptionKey
      ? { encryption: QueueEncryption.KMS, encryptionMasterKey: props.queueEncryptionKey }
      : { encryption: QueueEncryption.SQS_MANAGED };
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      ...encryption,
      enforceSSL: true,
      retentionPeriod: deadLetterRetention,
    });
    this.sourceQueue = new Queue(this, 'SourceQueue', {
      ...encryption,
      enforceSSL: true,
      retentionPeriod: sourceRetention,
      // AWS's advice for Lambda event sources: 6x the function timeout, plus the batching window.
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * 6 + batchingWindow.toSeconds()),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
    });
    this.ruleErrorQueue = new Queue(this, 'RuleErrorQueue', {
      ...encryption,
      enforceSSL: true,
      retentionPeriod: deadLetterRetention,
    });
    Validations.of(this.ruleErrorQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'The rule error queue is itself the terminal store of the IoT rule error action; nothing consumes it, so a dead-letter queue behind it would never receive a message.',
    });

    this.function = this.createFunction(props, serviceName, timeout);
    this.function.addEventSource(
      new SqsEventSource(this.sourceQueue, {
        batchSize: props.batchSize ?? 1000,
        maxBatchingWindow: batchingWindow,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency,
      }),
    );

    this.topicRule = this.createTopicRule(props, ruleName);
    this.alarms = props.alarms === false ? [] : this.createAlarms(props, serviceName);
    if (props.dashboard !== false) {
      this.dashboard = new BridgeDashboard(this, 'Operations', {
        function: this.function,
        sourceQueue: this.sourceQueue,
        deadLetterQueue: this.deadLetterQueue,
        ruleErrorQueue: this.ruleErrorQueue,
        serviceName,
        ruleName,
        alarms: this.alarms,
        workspaceId: this.receiver.workspaceId,
      }).dashboard;
    }
  }

  private createFunction(
    props: IotPrometheusBridgeProps,
    serviceName: string,
    timeout: Duration,
  ): LambdaFunction {
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

    const replaced = Object.keys(props.environment ?? {}).filter((name) =>
      MANAGED_ENVIRONMENT.includes(name),
    );
    if (replaced.length > 0) {
      throw new Error(`environment cannot set ${replaced.join(', ')}: use the matching prop`);
    }
    const environment: Record<string, string> = {
      // `environment` may replace it.
      NODE_OPTIONS: INGEST_NODE_OPTIONS,
      ...props.environment,
      REMOTE_WRITE_URL: this.receiver.remoteWriteUrl,
      REMOTE_WRITE_AUTH: this.receiver.auth,
      DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queueUrl,
      POWERTOOLS_SERVICE_NAME: serviceName,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
    };
    if (props.remoteWriteSecret) environment.REMOTE_WRITE_SECRET_ARN = props.remoteWriteSecret.secretArn;
    if (props.extraLabels && Object.keys(props.extraLabels).length > 0) {
      environment.EXTRA_LABELS = JSON.stringify(props.extraLabels);
    }

    const fn = new LambdaFunction(this, 'Ingest', {
      description: 'Remote-writes IoT telemetry from SQS to Prometheus',
      // The newest Node.js runtime this aws-cdk-lib knows (cdk-nag AwsSolutions-L1 checks the same).
      runtime: Runtime.NODEJS_LATEST,
      architecture,
      handler: 'index.handler',
      code: ingestCode(architecture),
      memorySize: checkInteger('memorySize', props.memorySize ?? 512, 128, 10240),
      timeout,
      role,
      logGroup,
      environment,
    });

    if (this.receiver.workspaceArn) {
      role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['aps:RemoteWrite'], resources: [this.receiver.workspaceArn] }),
      );
    }
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }),
    );
    if (props.queueEncryptionKey) {
      // Sending to a KMS-encrypted dead-letter queue needs a data key (the event source grants decrypt itself).
      role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [props.queueEncryptionKey.keyArn],
        }),
      );
    }
    props.remoteWriteSecret?.grantRead(role);
    return fn;
  }

  private createTopicRule(props: IotPrometheusBridgeProps, ruleName: string): CfnTopicRule {
    const role = new Role(this, 'TopicRuleRole', {
      assumedBy: new ServicePrincipal('iot.amazonaws.com'),
      description: 'Lets the IoT rule send to the bridge source queue and its error queue, nothing else',
    });
    role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['sqs:SendMessage'],
        resources: [this.sourceQueue.queueArn, this.ruleErrorQueue.queueArn],
      }),
    );
    if (props.queueEncryptionKey) {
      role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [props.queueEncryptionKey.keyArn],
        }),
      );
    }
    const rule = new CfnTopicRule(this, 'TopicRule', {
      ruleName,
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
    return rule;
  }

  private createAlarms(props: IotPrometheusBridgeProps, serviceName: string): Alarm[] {
    return new BridgeAlarms(this, 'Alarms', {
      function: this.function,
      sourceQueue: this.sourceQueue,
      deadLetterQueue: this.deadLetterQueue,
      ruleErrorQueue: this.ruleErrorQueue,
      serviceName,
      ingestLagThreshold: props.ingestLagThreshold ?? Duration.minutes(5),
      remoteWriteRetriesThreshold: props.remoteWriteRetriesThreshold ?? 50,
      action: props.alarmTopic ? new SnsAction(props.alarmTopic) : undefined,
    }).alarms;
  }
}
