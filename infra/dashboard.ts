// One CloudWatch dashboard with the bridge's flow from IoT rule to receiver.
import { Duration } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  type IAlarm,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { bridgeMetric } from './alarms.js';

export interface BridgeDashboardProps {
  readonly function: IFunction;
  readonly sourceQueue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly ruleErrorQueue: IQueue;
  readonly serviceName: string;
  /** The bridge's IoT rules (one per route). */
  readonly ruleNames: readonly string[];
  readonly alarms: readonly IAlarm[];
  /** Workspace id, when the receiver is an AMP workspace: adds AMP's own ingestion and discard metrics. */
  readonly workspaceId?: string;
}

const PERIOD = Duration.minutes(1);

/** The bridge's dashboard: the flow from the IoT rule to the receiver, one row per stage, then the alarms. */
export class BridgeDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: BridgeDashboardProps) {
    super(scope, id);
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `## IoT → Prometheus bridge\nIoT rule ${props.ruleNames.map((name) => `\`${name}\``).join(', ')} → SQS → Lambda → remote write`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(...queueRow(props));
    this.dashboard.addWidgets(...functionRow(props));
    const alarms = new AlarmStatusWidget({
      title: 'Alarms',
      alarms: [...props.alarms],
      width: props.workspaceId ? 8 : 24,
    });
    if (props.workspaceId) this.dashboard.addWidgets(workspaceWidget(props.workspaceId), alarms);
    else this.dashboard.addWidgets(alarms);
  }
}

/** The IoT rule's deliveries, the source queue, and what waits in the two parking queues. */
function queueRow(props: BridgeDashboardProps): GraphWidget[] {
  const period = PERIOD;
  const waiting = (queue: IQueue, label: string) =>
    queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Max', label });
  return [
    new GraphWidget({
      title: 'IoT rule',
      left: props.ruleNames.flatMap((name) => {
        const of = props.ruleNames.length > 1 ? ` (${name})` : '';
        return [
          iotRuleMetric('Success', name, `delivered to SQS${of}`),
          iotRuleMetric('Failure', name, `failed${of}`),
        ];
      }),
      width: 8,
    }),
    new GraphWidget({
      title: 'Source queue',
      left: [
        props.sourceQueue.metricNumberOfMessagesSent({ period, label: 'sent' }),
        props.sourceQueue.metricNumberOfMessagesDeleted({ period, label: 'written (deleted)' }),
        waiting(props.sourceQueue, 'waiting'),
      ],
      right: [
        props.sourceQueue.metricApproximateAgeOfOldestMessage({
          period,
          statistic: 'Max',
          label: 'oldest (s)',
        }),
      ],
      width: 8,
    }),
    new GraphWidget({
      title: 'Parked messages',
      left: [
        waiting(props.deadLetterQueue, 'dead-letter queue'),
        waiting(props.ruleErrorQueue, 'IoT rule errors'),
      ],
      width: 8,
    }),
  ];
}

/** The function's invocations, duration and the bridge's own metrics. */
function functionRow(props: BridgeDashboardProps): GraphWidget[] {
  const period = PERIOD;
  const fn = props.function;
  const own = (name: string, label: string) => bridgeMetric(props.serviceName, name, period).with({ label });
  const concurrency = new Metric({
    namespace: 'AWS/Lambda',
    metricName: 'ConcurrentExecutions',
    dimensionsMap: { FunctionName: fn.functionName },
    statistic: 'Max',
    period,
    label: 'concurrency',
  });
  return [
    new GraphWidget({
      title: 'Function',
      left: [
        fn.metricInvocations({ period, label: 'invocations' }),
        fn.metricErrors({ period, label: 'errors' }),
        fn.metricThrottles({ period, label: 'throttles' }),
      ],
      right: [concurrency],
      width: 8,
    }),
    new GraphWidget({
      title: 'Function duration (ms)',
      left: [
        fn.metricDuration({ period, statistic: 'p50', label: 'p50' }),
        fn.metricDuration({ period, statistic: 'p99', label: 'p99' }),
        fn.metricDuration({ period, statistic: 'Max', label: 'max' }),
      ],
      width: 8,
    }),
    new GraphWidget({
      title: 'Bridge',
      left: [
        own('MessagesDeadLettered', 'dead-lettered'),
        own('BatchItemFailures', 'returned to the queue'),
        own('RemoteWriteRetries', 'remote-write retries'),
      ],
      width: 8,
    }),
  ];
}

/** AMP's own view of the workspace: what it ingested and what it discarded. */
function workspaceWidget(workspaceId: string): GraphWidget {
  // SEARCH finds the workspace's series whatever their exact dimension set (AMP vends several).
  return new GraphWidget({
    title: 'Amazon Managed Service for Prometheus',
    left: [
      new MathExpression({
        expression: `SEARCH('{AWS/Usage} Service="Prometheus" Resource="IngestionRate" "${workspaceId}"', 'Average', 60)`,
        label: 'ingestion rate (samples/s)',
        period: PERIOD,
      }),
    ],
    right: [
      new MathExpression({
        expression: `SEARCH('{AWS/Prometheus} MetricName="DiscardedSamples" "${workspaceId}"', 'Sum', 60)`,
        label: 'discarded samples',
        period: PERIOD,
      }),
    ],
    width: 16,
  });
}

function iotRuleMetric(metricName: string, ruleName: string, label: string): Metric {
  return new Metric({
    namespace: 'AWS/IoT',
    metricName,
    dimensionsMap: { RuleName: ruleName, ActionType: 'SQS' },
    statistic: 'Sum',
    period: PERIOD,
    label,
  });
}
