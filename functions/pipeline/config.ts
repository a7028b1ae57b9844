// Limits and settings of the pure pipeline. The Lambda reads them from its environment; tests and the CLI pass
// them directly.

export interface PipelineLimits {
  /** Labels per series, `__name__` included. AMP's default quota is 70 (`series has too many labels`). */
  readonly maxLabelsPerSeries: number;
  /** UTF-8 bytes of a label name. Cortex' default `max_label_name_length` is 1024. */
  readonly maxLabelNameLength: number;
  /** UTF-8 bytes of a label value (and of a metric name). Cortex' default `max_label_value_length` is 2048. */
  readonly maxLabelValueLength: number;
  /** Samples one message may produce (`MAX_SAMPLES_PER_MESSAGE`); more make the message invalid. */
  readonly maxSamplesPerMessage: number;
}

/** The sample timestamps accepted, relative to the message's arrival (`MAX_SAMPLE_AGE`, `MAX_SAMPLE_FUTURE`). */
export interface SampleWindow {
  readonly maxAgeMs: number;
  readonly maxFutureMs: number;
}

export interface RequestLimits {
  /** Samples in one remote-write request. */
  readonly maxSamplesPerRequest: number;
  /** Uncompressed protobuf bytes in one remote-write request (AMP's request-size quota is about 1 MB). */
  readonly maxBytesPerRequest: number;
}

export interface PipelineConfig {
  /** Labels added to every series (`EXTRA_LABELS`); a label the message sets wins. */
  readonly extraLabels: Readonly<Record<string, string>>;
  /** Labels added to every series that a message can never override (`FORCED_LABELS`). */
  readonly forcedLabels: Readonly<Record<string, string>>;
  readonly sampleWindow: SampleWindow;
  readonly limits: PipelineLimits;
  readonly request: RequestLimits;
}

export const DEFAULT_PIPELINE_LIMITS: PipelineLimits = {
  maxLabelsPerSeries: 70,
  maxLabelNameLength: 1024,
  maxLabelValueLength: 2048,
  maxSamplesPerMessage: 10_000,
};

export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  // Prometheus sends 2,000 samples per request since 2.44; a Lambda batch is bursty and short-lived, so fewer,
  // larger requests cost less time per sample. 1 MiB uncompressed stays inside every receiver's limit.
  maxSamplesPerRequest: 5000,
  maxBytesPerRequest: 1024 * 1024,
};

export const DEFAULT_PIPELINE_CONFIG: PipelineConfig = {
  extraLabels: {},
  forcedLabels: {},
  sampleWindow: { maxAgeMs: 3_600_000, maxFutureMs: 600_000 },
  limits: DEFAULT_PIPELINE_LIMITS,
  request: DEFAULT_REQUEST_LIMITS,
};
