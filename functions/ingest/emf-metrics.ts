// CloudWatch metrics in the Embedded Metric Format: one JSON document per line on stdout, from which CloudWatch
// Logs extracts the metrics (no API call, no extra latency). The shape follows the EMF specification:
//   {"_aws":{"Timestamp":<ms>,"CloudWatchMetrics":[{"Namespace":…,"Dimensions":[["service",…]],
//     "Metrics":[{"Name":…,"Unit":…}]}]},"service":…,<dimension>:…,<metric>:<number or array of numbers>}
// with at most 100 metric definitions per document and at most 100 values per metric (more are split over
// further documents). Written by hand to keep Powertools' import out of the cold start (bench goal P). Kept from
// Powertools: the environment variables, the `service` default
// dimension, repeated values of one metric as an array, singleMetric() publishing at once with its own
// dimensions. Left out, since the function does not use them: metadata, dimension sets, default-dimension
// changes, high-resolution metrics, custom timestamps, the ColdStart metric, throwOnEmptyMetrics, and the
// warning Powertools logs when nothing is stored (nothing is written then).
import { envFlag, isDevMode, lineSinkFor, type Env, type LineSink } from './log-output.js';

/** CloudWatch units, with the names and values Powertools uses. */
export const MetricUnit = {
  Seconds: 'Seconds',
  Microseconds: 'Microseconds',
  Milliseconds: 'Milliseconds',
  Bytes: 'Bytes',
  Kilobytes: 'Kilobytes',
  Megabytes: 'Megabytes',
  Gigabytes: 'Gigabytes',
  Terabytes: 'Terabytes',
  Bits: 'Bits',
  Kilobits: 'Kilobits',
  Megabits: 'Megabits',
  Gigabits: 'Gigabits',
  Terabits: 'Terabits',
  Percent: 'Percent',
  Count: 'Count',
  BytesPerSecond: 'Bytes/Second',
  KilobytesPerSecond: 'Kilobytes/Second',
  MegabytesPerSecond: 'Megabytes/Second',
  GigabytesPerSecond: 'Gigabytes/Second',
  TerabytesPerSecond: 'Terabytes/Second',
  BitsPerSecond: 'Bits/Second',
  KilobitsPerSecond: 'Kilobits/Second',
  MegabitsPerSecond: 'Megabits/Second',
  GigabitsPerSecond: 'Gigabits/Second',
  TerabitsPerSecond: 'Terabits/Second',
  CountPerSecond: 'Count/Second',
  NoUnit: 'None',
} as const;

export type MetricUnit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** EMF: a MetricDirective's Metrics array MUST NOT hold more than 100 MetricDefinitions. */
export const MAX_METRICS_PER_DOCUMENT = 100;
/** EMF: a numeric array target MUST NOT have more than 100 members. */
export const MAX_VALUES_PER_METRIC = 100;
/** CloudWatch allows 30 dimensions per metric; `service` takes one. */
export const MAX_EXTRA_DIMENSIONS = 29;

export interface EmfMetricsOptions {
  readonly namespace: string;
  /** The `service` dimension on every metric. */
  readonly serviceName: string;
  /** Read once for POWERTOOLS_METRICS_DISABLED and POWERTOOLS_DEV. @default process.env */
  readonly env?: Env;
  /** @default stdout, or the global console with POWERTOOLS_DEV */
  readonly sink?: LineSink;
  /** Milliseconds since the epoch for `_aws.Timestamp`. @default Date.now */
  readonly now?: () => number;
}

interface StoredMetric {
  readonly unit: MetricUnit;
  readonly values: number[];
}

/**
 * POWERTOOLS_METRICS_DISABLED decides when set to a boolean word; otherwise metrics are off in dev mode
 * (POWERTOOLS_DEV), as Powertools does.
 */
export function metricsDisabled(env: Env): boolean {
  return envFlag(env, 'POWERTOOLS_METRICS_DISABLED') ?? isDevMode(env);
}

export class EmfMetrics {
  readonly namespace: string;
  readonly serviceName: string;
  readonly disabled: boolean;
  readonly #sink: LineSink;
  readonly #now: () => number;
  readonly #publishOnAdd: boolean;
  readonly #options: EmfMetricsOptions;
  #metrics = new Map<string, StoredMetric>();
  #dimensions = new Map<string, string>();

  constructor(options: EmfMetricsOptions, publishOnAdd = false) {
    const env = options.env ?? process.env;
    this.namespace = options.namespace;
    this.serviceName = options.serviceName;
    this.disabled = metricsDisabled(env);
    this.#sink = options.sink ?? lineSinkFor(env);
    this.#now = options.now ?? Date.now;
    this.#publishOnAdd = publishOnAdd;
    this.#options = options;
  }

  /**
   * Stores one value; values of one name accumulate into an array until the next publish. A value that is not
   * a finite number is dropped (JSON would turn it into null, and CloudWatch rejects the whole document).
   * A metric keeps the unit it was first stored with in a publish period.
   */
  addMetric(name: string, unit: MetricUnit, value: number): this {
    if (name.length === 0 || name === 'service' || name === '_aws' || !Number.isFinite(value)) return this;
    const stored = this.#metrics.get(name);
    if (stored === undefined) this.#metrics.set(name, { unit, values: [value] });
    else stored.values.push(value);
    if (this.#publishOnAdd) this.publishStoredMetrics();
    return this;
  }

  /** A dimension for the metrics published next (dimensions are cleared with each publish, as in Powertools). */
  addDimension(name: string, value: string): this {
    if (name.length === 0 || value.length === 0 || name === 'service') return this;
    if (!this.#dimensions.has(name) && this.#dimensions.size >= MAX_EXTRA_DIMENSIONS) return this;
    this.#dimensions.set(name, value);
    return this;
  }

  hasStoredMetrics(): boolean {
    return this.#metrics.size > 0;
  }

  /** Writes the stored metrics (one line, more past the EMF limits) and clears them and the dimensions. */
  publishStoredMetrics(): this {
    try {
      if (!this.disabled) for (const document of this.serialize()) this.#sink(document, 'info');
    } finally {
      this.#metrics = new Map();
      this.#dimensions = new Map();
    }
    return this;
  }

  /** Metrics published on each addMetric with their own dimensions (plus service), beside the stored ones. */
  singleMetric(): EmfMetrics {
    return new EmfMetrics(this.#options, true);
  }

  /** The EMF documents for the stored metrics, without clearing them; none when nothing is stored. */
  serialize(): string[] {
    const timestamp = this.#now();
    const dimensionNames = ['service', ...this.#dimensions.keys()];
    const dimensionValues: Record<string, string> = { service: this.serviceName };
    for (const [name, value] of this.#dimensions) dimensionValues[name] = value;
    let pending = [...this.#metrics].map(([name, { unit, values }]) => ({ name, unit, values, offset: 0 }));
    const documents: string[] = [];
    while (pending.length > 0) {
      const batch = pending.slice(0, MAX_METRICS_PER_DOCUMENT);
      const document: Record<string, unknown> = {
        _aws: {
          Timestamp: timestamp,
          CloudWatchMetrics: [
            {
              Namespace: this.namespace,
              Dimensions: [dimensionNames],
              Metrics: batch.map(({ name, unit }) => ({ Name: name, Unit: unit })),
            },
          ],
        },
        ...dimensionValues,
      };
      for (const metric of batch) {
        const values = metric.values.slice(metric.offset, metric.offset + MAX_VALUES_PER_METRIC);
        metric.offset += MAX_VALUES_PER_METRIC;
        document[metric.name] = values.length === 1 ? values[0] : values;
      }
      documents.push(JSON.stringify(document));
      // Metrics with values left go first into the next document, so each one's values stay in order.
      pending = pending.filter((metric) => metric.offset < metric.values.length);
    }
    return documents;
  }
}
