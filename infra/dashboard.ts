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
  readonly ruleName: string;
  readonly alarms: readonly IAlarm[];
  /** Workspace id, when the receiver is an AMP workspace: adds AMP's own ingestion and discard metrics. */
  readonly workspaceId?: string;
}

export class BridgeDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: BridgeDashboardProps) {
    super(scope, id);
    const period = Duration.minutes(1);
    const fn = props.function;
    const own = (name: string, label: string) =>
      bridgeMetric(props.serviceName, name, period).with({ label });
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `## IoT → Prometheus bridge\nIoT rule \`${props.ruleName}\` → SQS → Lambda → remote write`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'IoT rule',
        left: [
          iotRuleMetric('Success', props.ruleName, 'delivered to SQS'),
          iotRuleMetric('Failure', props.ruleName, 'failed'),
        ],
        width: 8,
      }),
      new GraphWidget({
        title: 'Source queue',
        left: [
          props.sourceQueue.metricNumberOfMessagesSent({ period, label: 'sent' }),
          props.sourceQueue.metricNumberOfMessagesDeleted({ period, label: 'written (deleted)' }),
          props.sourceQueue.metricApproximateNumberOfMessagesVisible({
            period,
            statistic: 'Max',
            label: 'waiting',
          }),
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
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period,
            statistic: 'Max',
            label: 'dead-letter queue',
          }),
          props.ruleErrorQueue.metricApproximateNumberOfMessagesVisible({
            period,
            statistic: 'Max',
            label: 'IoT rule errors',
          }),
        ],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Function',
        left: [
          fn.metricInvocations({ period, label: 'invocations' }),
          fn.metricErrors({ period, label: 'errors' }),
          fn.metricThrottles({ period, label: 'throttles' }),
        ],
        right: [
          new Metric({
            namespace: 'AWS/Lambda',
            metricName: 'ConcurrentExecutions',
            dimensionsMap: { FunctionName: fn.functionName },
            statistic: 'Max',
            period,
            label: 'concurrency',
          }),
        ],
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
    );
    if (props.workspaceId) {
      const ws = props.workspaceId;
      this.dashboard.addWidgets(
        new GraphWidget({
          title: 'Amazon Managed Service for Prometheus',
          // SEARCH finds the workspace's series whatever their exact dimension set (AMP vends several).
          left: [
            new MathExpression({
              expression: `SEARCH('{AWS/Usage} Service="Prometheus" Resource="IngestionRate" "${ws}"', 'Average', 60)`,
              label: 'ingestion rate (samples/s)',
              period,
            }),
          ],
          right: [
            new MathExpression({
              expression: `SEARCH('{AWS/Prometheus} MetricName="DiscardedSamples" "${ws}"', 'Sum', 60)`,
              label: 'discarded samples',
              period,
            }),
          ],
          width: 16,
        }),
        new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 8 }),
      );
    } else {
      this.dashboard.addWidgets(
        new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24 }),
      );
    }
  }
}

function iotRuleMetric(metricName: string, ruleName: string, label: string): Metric {
  return new Metric({
    namespace: 'AWS/IoT',
    metricName,
    dimensionsMap: { RuleName: ruleName, ActionType: 'SQS' },
    statistic: 'Sum',
    period: Duration.minutes(1),
    label,
  });
}
