// The environment variables the stack sets and the ingest function reads, with the defaults both sides assume.

/** Names of the function's variables; the stack writes them, functions/ingest/config.ts reads them. */
export const VARIABLES = {
  remoteWriteUrl: 'REMOTE_WRITE_URL',
  remoteWriteAuth: 'REMOTE_WRITE_AUTH',
  remoteWriteSecretArn: 'REMOTE_WRITE_SECRET_ARN',
  sigv4AnyHost: 'REMOTE_WRITE_SIGV4_ANY_HOST',
  remoteWriteHeaders: 'REMOTE_WRITE_HEADERS',
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  extraLabels: 'EXTRA_LABELS',
  forcedLabels: 'FORCED_LABELS',
  maxReceiveCount: 'MAX_RECEIVE_COUNT',
  maxSampleAge: 'MAX_SAMPLE_AGE',
  maxSampleFuture: 'MAX_SAMPLE_FUTURE',
  maxSamplesPerMessage: 'MAX_SAMPLES_PER_MESSAGE',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
} as const;

export type VariableName = (typeof VARIABLES)[keyof typeof VARIABLES];

/** Tuning the construct leaves at the function's defaults; set through `functionEnvironment` when they do not fit. */
export const TUNING_VARIABLES = {
  timeoutMs: 'REMOTE_WRITE_TIMEOUT_MS',
  maxSamplesPerRequest: 'REMOTE_WRITE_MAX_SAMPLES_PER_REQUEST',
  maxBytesPerRequest: 'REMOTE_WRITE_MAX_BYTES_PER_REQUEST',
  concurrency: 'REMOTE_WRITE_CONCURRENCY',
  retryBaseDelayMs: 'RETRY_BASE_DELAY_MS',
  retryMaxDelayMs: 'RETRY_MAX_DELAY_MS',
  deadlineSafetyMarginMs: 'DEADLINE_SAFETY_MARGIN_MS',
  maxLabelsPerSeries: 'MAX_LABELS_PER_SERIES',
  maxLabelNameLength: 'MAX_LABEL_NAME_LENGTH',
  maxLabelValueLength: 'MAX_LABEL_VALUE_LENGTH',
} as const;

/** The routes file; the stack ships it in a layer at its default path, so only tests and local runs set this. */
export const ROUTES_FILE_VARIABLE = 'ROUTES_FILE';

/** The `service` dimension of the metrics and the logs' service name, unless configured. */
export const DEFAULT_SERVICE_NAME = 'iot-prometheus-bridge';
/** The CloudWatch namespace of the function's EMF metrics; the alarms and dashboard read it. */
export const METRICS_NAMESPACE = 'IotPrometheusBridge';

/**
 * Oldest sample accepted, relative to its message's arrival: AMP discards samples older than 1 hour
 * (`greater_than_max_sample_age`), so an older one can only fail at the receiver.
 */
export const DEFAULT_MAX_SAMPLE_AGE = '1h';
/** Newest sample accepted: Prometheus (since 2.54) and Cortex-based receivers refuse samples over 10 minutes ahead. */
export const DEFAULT_MAX_SAMPLE_FUTURE = '10m';
/** Samples one message may produce; bounds the work a single device message can cause. */
export const DEFAULT_MAX_SAMPLES_PER_MESSAGE = 10_000;
