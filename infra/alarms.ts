// The bridge's alarms: anything that means telemetry is late, lost or parked.
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Metric,
  TreatMissingData,
  type IAlarmAction,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../functions/interface/index.js';

/** Namespace of the EMF metrics the ingest function writes (`POWERTOOLS_METRICS_NAMESPACE`). */
export { METRICS_NAMESPACE };

/** The function's own metric (EMF, dimension `service`). */
export function bridgeMetric(serviceName: string, metricName: string, period = Duration.minutes(5)): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: serviceName },
    statistic: 'Sum',
    period,
  });
}

export interface BridgeAlarmsProps {
  readonly function: IFunction;
  readonly sourceQueue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly ruleErrorQueue: IQueue;
  readonly serviceName: string;
  /** Age of the oldest message in the source queue that means ingest lags. */
  readonly ingestLagThreshold: Duration;
  /** Remote-write retries per 5 minutes, sustained for 15 minutes, that mean the receiver is struggling. */
  readonly remoteWriteRetriesThreshold: number;
  readonly action?: IAlarmAction;
}

export class BridgeAlarms extends Construct {
  readonly alarms: Alarm[] = [];
  private readonly action?: IAlarmAction;

  constructor(scope: Construct, id: string, props: BridgeAlarmsProps) {
    super(scope, id);
    this.action = props.action;
    const fiveMinutes = Duration.minutes(5);
    const service = props.serviceName;
    this.add('DeadLetterMessages', {
      metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: fiveMinutes,
        statistic: 'Max',
      }),
      threshold: 1,
      description:
        'Messages wait in the dead-letter queue: inspect them with `iotprom inspect` and replay or purge.',
    });
    this.add('RuleErrorMessages', {
      metric: props.ruleErrorQueue.metricApproximateNumberOfMessagesVisible({
        period: fiveMinutes,
        statistic: 'Max',
      }),
      threshold: 1,
      description:
        'The IoT rule failed to deliver messages to the source queue; the error queue holds its reports.',
    });
    this.add('IngestLag', {
      metric: props.sourceQueue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(1),
        statistic: 'Max',
      }),
      threshold: props.ingestLagThreshold.toSeconds(),
      evaluationPeriods: 3,
      description: `The oldest message in the source queue is older than ${props.ingestLagThreshold.toSeconds()} s: ingest lags (AMP drops samples more than 1 h old).`,
    });
    this.add('FunctionErrors', {
      metric: props.function.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
      threshold: 1,
      description: 'The ingest function failed whole invocations (its batches are redelivered).',
    });
    this.add('FunctionThrottles', {
      metric: props.function.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }),
      threshold: 1,
      description:
        'The ingest function was throttled: raise the account concurrency or lower maxConcurrency.',
    });
    this.add('MessagesDeadLettered', {
      metric: bridgeMetric(service, 'MessagesDeadLettered'),
      threshold: 1,
      description:
        'The function dead-lettered messages it can never write (invalid or rejected by the receiver).',
    });
    this.add('RemoteWriteRetries', {
      metric: bridgeMetric(service, 'RemoteWriteRetries'),
      threshold: props.remoteWriteRetriesThreshold,
      evaluationPeriods: 3,
      description: 'The receiver keeps answering with retryable errors (5xx, 429 or network failures).',
    });
    this.add('BatchItemFailures', {
      metric: bridgeMetric(service, 'BatchItemFailures'),
      threshold: 1,
      evaluationPeriods: 3,
      description: 'Messages keep being returned to the queue unwritten for 15 minutes.',
    });
  }

  private add(
    id: string,
    options: { metric: IMetric; threshold: number; description: string; evaluationPeriods?: number },
  ) {
    const alarm = new Alarm(this, id, {
      metric: options.metric,
      threshold: options.threshold,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No datapoints means no traffic or no failures: neither is an alarm.
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: options.description,
    });
    if (this.action) {
      alarm.addAlarmAction(this.action);
      alarm.addOkAction(this.action);
    }
    this.alarms.push(alarm);
  }
}
