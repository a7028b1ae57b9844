// The ingest function's environment, built from the construct's props with the variable names and rules of
// functions/interface, so the stack writes exactly what the function's loadConfig reads.
import type { Duration } from 'aws-cdk-lib';
import {
  DEFAULT_MAX_SAMPLE_AGE,
  DEFAULT_MAX_SAMPLE_FUTURE,
  METRICS_NAMESPACE,
  VARIABLES,
  formatDuration,
  labelNameProblem,
  parseDuration,
} from '../functions/interface/index.js';
import { customHeaderProblem } from '../functions/pipeline/headers.js';
import type { IotPrometheusBridgeProps } from './iot-prometheus-bridge.js';
import { INGEST_NODE_OPTIONS } from './ingest-node-options.js';
import type { Receiver } from './receiver.js';
import { BridgePropError } from './validation.js';

/** Variables the construct sets from its props; `environment` may not replace them. */
export const MANAGED_ENVIRONMENT: readonly string[] = Object.values(VARIABLES).filter(
  (name) => name !== VARIABLES.remoteWriteHeaders && name !== VARIABLES.maxSamplesPerMessage,
);

export interface IngestEnvironmentInput {
  readonly props: IotPrometheusBridgeProps;
  readonly receiver: Receiver;
  readonly deadLetterQueueUrl: string;
  readonly serviceName: string;
  /** The source queue's redrive count, so the function knows a message's final receive. */
  readonly maxReceiveCount: number;
}

function checkLabels(prop: string, labels: Readonly<Record<string, string>> | undefined): string | undefined {
  if (labels === undefined || Object.keys(labels).length === 0) return undefined;
  for (const name of Object.keys(labels)) {
    const problem = labelNameProblem(name);
    if (problem !== undefined) throw new BridgePropError(prop, problem);
  }
  return JSON.stringify(labels);
}

/** A duration prop as the function's Prometheus-style duration text. */
function durationText(prop: string, value: Duration | undefined, fallback: string, minMs: number): string {
  const ms = value === undefined ? parseDuration(fallback)! : value.toMilliseconds();
  if (!Number.isSafeInteger(ms) || ms < minMs) {
    throw new BridgePropError(prop, `must be at least ${minMs / 1000} seconds, got ${ms} ms`);
  }
  return formatDuration(ms);
}

/** The operator's extra variables, refusing what the construct sets and headers the function would refuse. */
function operatorEnvironment(environment: Readonly<Record<string, string>> = {}): Record<string, string> {
  const replaced = Object.keys(environment).filter((name) => MANAGED_ENVIRONMENT.includes(name));
  if (replaced.length > 0) {
    throw new BridgePropError('environment', `cannot set ${replaced.join(', ')}: use the matching prop`);
  }
  const headers = environment[VARIABLES.remoteWriteHeaders];
  if (headers !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(headers);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new BridgePropError(
        'environment',
        `${VARIABLES.remoteWriteHeaders} must be a JSON object of strings`,
      );
    }
    for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
      const problem = customHeaderProblem(name, String(value));
      if (problem !== undefined)
        throw new BridgePropError('environment', `${VARIABLES.remoteWriteHeaders}: ${problem}`);
    }
  }
  return { ...environment };
}

export function ingestEnvironment(input: IngestEnvironmentInput): Record<string, string> {
  const { props, receiver } = input;
  const environment: Record<string, string> = {
    // `environment` may replace it.
    NODE_OPTIONS: INGEST_NODE_OPTIONS,
    ...operatorEnvironment(props.environment),
    [VARIABLES.remoteWriteUrl]: receiver.remoteWriteUrl,
    [VARIABLES.remoteWriteAuth]: receiver.auth,
    [VARIABLES.deadLetterQueueUrl]: input.deadLetterQueueUrl,
    [VARIABLES.serviceName]: input.serviceName,
    [VARIABLES.metricsNamespace]: METRICS_NAMESPACE,
    [VARIABLES.logLevel]: props.logLevel ?? 'INFO',
    [VARIABLES.maxReceiveCount]: String(input.maxReceiveCount),
    [VARIABLES.maxSampleAge]: durationText('maxSampleAge', props.maxSampleAge, DEFAULT_MAX_SAMPLE_AGE, 1_000),
    [VARIABLES.maxSampleFuture]: durationText(
      'maxSampleFuture',
      props.maxSampleFuture,
      DEFAULT_MAX_SAMPLE_FUTURE,
      0,
    ),
  };
  if (props.remoteWriteSecret)
    environment[VARIABLES.remoteWriteSecretArn] = props.remoteWriteSecret.secretArn;
  if (props.sigv4AnyHost) environment[VARIABLES.sigv4AnyHost] = 'true';
  const extra = checkLabels('extraLabels', props.extraLabels);
  if (extra !== undefined) environment[VARIABLES.extraLabels] = extra;
  const forced = checkLabels('forcedLabels', props.forcedLabels);
  if (forced !== undefined) environment[VARIABLES.forcedLabels] = forced;
  return environment;
}
