// Structured logs and CloudWatch EMF metrics, written by the function's own small logger and EMF writer rather than
// Powertools Logger and Metrics, whose import the cold-start budget cannot carry (bench goal P); the environment
// variables and the log and metric shapes stay those of Powertools, which test/ingest/powertools-differential.test.ts
// checks against Powertools itself. Dimensions stay low-cardinality on purpose
// (service and, for dead letters, the error kind): a device id as a dimension would create a metric per device.
import { DEFAULT_SERVICE_NAME, METRICS_NAMESPACE } from '../interface/index.js';
import type { DeadLetterKind } from '../interface/dead-letters.js';
import type { DeliveryObserver } from './delivery.js';
import { EmfMetrics, MetricUnit } from './emf-metrics.js';
import type { Env } from './log-output.js';
import { StructuredLogger } from './structured-logger.js';

export { DEFAULT_SERVICE_NAME };
export const DEFAULT_METRICS_NAMESPACE = METRICS_NAMESPACE;
/** Receiver answers and reasons are logged verbatim up to this many characters. */
export const MAX_LOGGED_TEXT = 1024;

export interface Observability {
  readonly logger: StructuredLogger;
  readonly metrics: EmfMetrics;
}

export function createObservability(env: Env = process.env): Observability {
  const serviceName = env['POWERTOOLS_SERVICE_NAME'] || DEFAULT_SERVICE_NAME;
  const logger = new StructuredLogger({ serviceName, env });
  const metrics = new EmfMetrics({
    serviceName,
    namespace: env['POWERTOOLS_METRICS_NAMESPACE'] || DEFAULT_METRICS_NAMESPACE,
    env,
  });
  return { logger, metrics };
}

export function clip(text: string, max = MAX_LOGGED_TEXT): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

export function countMetric(metrics: EmfMetrics, name: string, value: number): void {
  metrics.addMetric(name, MetricUnit.Count, value);
}

export function recordDeadLettered(metrics: EmfMetrics, kind: DeadLetterKind, count: number): void {
  if (count === 0) return;
  const single = metrics.singleMetric();
  single.addDimension('ErrorKind', kind);
  single.addMetric('MessagesDeadLettered', MetricUnit.Count, count);
}

/** Logs and metrics for every remote-write attempt, retry and refusal. */
export function deliveryObserver({ logger, metrics }: Observability): DeliveryObserver {
  return {
    attempt({ result, verdict, latencyMs, samples, retry }) {
      metrics.addMetric('RemoteWriteRequests', MetricUnit.Count, 1);
      metrics.addMetric('RemoteWriteLatency', MetricUnit.Milliseconds, latencyMs);
      if (verdict === 'accepted') {
        logger.debug('remote write accepted', {
          status: result.kind === 'response' ? result.status : 0,
          samples,
          latencyMs,
          retry,
        });
        return;
      }
      const detail =
        result.kind === 'response'
          ? { receiverStatus: result.status, receiverError: clip(result.text) }
          : result.kind === 'timeout'
            ? { receiverStatus: 'timeout', timeoutMs: result.timeoutMs }
            : { receiverStatus: 'network-error', receiverError: clip(result.message) };
      logger.warn('remote write failed', { ...detail, verdict, samples, latencyMs, retry });
    },
    retryScheduled({ delayMs, retry, reason }) {
      metrics.addMetric('RemoteWriteRetries', MetricUnit.Count, 1);
      logger.debug('retrying remote write', { delayMs, retry, reason: clip(reason) });
    },
    gaveUp({ reason, samples }) {
      logger.warn('remote write given up; its messages return to the queue', {
        reason: clip(reason),
        samples,
      });
    },
    rejected({ status, text, samples }) {
      logger.warn('receiver refused samples; their messages are dead-lettered', {
        receiverStatus: status,
        receiverError: clip(text),
        samples,
      });
    },
    resendResolved({ stored, status, text, samples }) {
      metrics.addMetric('ResendsResolved', MetricUnit.Count, 1);
      const message = stored
        ? 'refused resend resolved: an earlier attempt stored the series'
        : 'refused resend resolved: not stored; its messages are dead-lettered';
      logger.warn(message, { receiverStatus: status, receiverError: clip(text), samples });
    },
    lastChanceIsolation({ reason, samples }) {
      metrics.addMetric('LastChanceIsolations', MetricUnit.Count, 1);
      logger.warn('final receive: isolating a request that still fails', { reason: clip(reason), samples });
    },
    aborted({ reason }) {
      logger.error(
        'remote write stopped: receiver or credentials misconfigured; unwritten messages return to the queue',
        {
          reason: clip(reason),
        },
      );
    },
  };
}
