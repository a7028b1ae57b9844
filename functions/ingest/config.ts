// The ingest function's settings, read once per cold start from the environment (CONTRACT.md section 2).
// Every problem is reported with the variable's name, so a misconfigured deployment fails its first
// invocation with a message an operator can act on instead of dropping data.
import {
  DEFAULT_PIPELINE_CONFIG,
  prepareExtraLabels,
  RESERVED_HEADERS,
  type PipelineConfig,
} from '../pipeline/index.js';

/** How requests to the receiver are authenticated. */
export type AuthMode = 'sigv4' | 'none' | 'bearer' | 'basic';

export interface IngestConfig {
  readonly remoteWriteUrl: URL;
  readonly auth: AuthMode;
  /** Region for SigV4, taken from the AMP host name (or AWS_REGION for other hosts). */
  readonly sigv4Region?: string;
  readonly secretArn?: string;
  readonly deadLetterQueueUrl?: string;
  readonly extraLabels: Readonly<Record<string, string>>;
  /** Custom request headers; never any reserved remote-write or signing header. */
  readonly customHeaders: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Request size limits; undefined keeps the pipeline's defaults. */
  readonly maxSamplesPerRequest?: number;
  readonly maxBytesPerRequest?: number;
  readonly concurrency: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly deadlineSafetyMarginMs: number;
  /** Pipeline label limits; undefined keeps the pipeline's defaults. */
  readonly maxLabelsPerSeries?: number;
  readonly maxLabelNameLength?: number;
  readonly maxLabelValueLength?: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`invalid configuration: ${variable}: ${reason}`);
  }
}

const AUTH_MODES: readonly AuthMode[] = ['sigv4', 'none', 'bearer', 'basic'];

// The AMP endpoints: aps-workspaces.<region>.amazonaws.com and the dual-stack aps-workspaces.<region>.api.aws.
const AMP_HOST = /^aps-workspaces\.([a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|api\.aws)$/;

/** The SigV4 region of an AMP remote-write host, or undefined for any other host. */
export function ampRegion(host: string): string | undefined {
  return AMP_HOST.exec(host.toLowerCase())?.[1];
}

type Env = Readonly<Record<string, string | undefined>>;

function value(env: Env, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  return trimmed === '' ? undefined : trimmed;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  return optionalInteger(env, name, min, max) ?? fallback;
}

function optionalInteger(env: Env, name: string, min: number, max: number): number | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got ${JSON.stringify(raw)}`);
  const parsed = Number(raw);
  if (parsed < min || parsed > max) {
    throw new ConfigError(name, `expected a number from ${min} to ${max}, got ${parsed}`);
  }
  return parsed;
}

function stringRecord(env: Env, name: string): Record<string, string> {
  const raw = value(env, name);
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new ConfigError(name, `not valid JSON (${(error as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(name, 'expected a JSON object of string values');
  }
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(parsed)) {
    if (typeof entry !== 'string') {
      throw new ConfigError(name, `the value of ${JSON.stringify(key)} must be a string`);
    }
    out[key] = entry;
  }
  return out;
}

function remoteWriteUrl(env: Env): URL {
  const raw = value(env, 'REMOTE_WRITE_URL');
  if (raw === undefined) throw new ConfigError('REMOTE_WRITE_URL', 'required but not set');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('REMOTE_WRITE_URL', `not a URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('REMOTE_WRITE_URL', `must be http or https, got ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    // Credentials in the URL would end up in logs; they belong in Secrets Manager.
    throw new ConfigError('REMOTE_WRITE_URL', 'must not contain credentials; use REMOTE_WRITE_AUTH=basic');
  }
  return url;
}

function customHeaders(env: Env): Record<string, string> {
  const headers = stringRecord(env, 'REMOTE_WRITE_HEADERS');
  for (const name of Object.keys(headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new ConfigError('REMOTE_WRITE_HEADERS', `${JSON.stringify(name)} is not a valid header name`);
    }
    if (RESERVED_HEADERS.has(name.toLowerCase())) {
      throw new ConfigError('REMOTE_WRITE_HEADERS', `${name} is reserved and cannot be overridden`);
    }
    if (/[\r\n]/.test(headers[name] ?? '')) {
      throw new ConfigError('REMOTE_WRITE_HEADERS', `the value of ${name} contains a line break`);
    }
  }
  return headers;
}

function optionalEntry<K extends string>(key: K, entry: number | undefined): Partial<Record<K, number>> {
  return entry === undefined ? {} : ({ [key]: entry } as Partial<Record<K, number>>);
}

export function loadConfig(env: Env = process.env): IngestConfig {
  const url = remoteWriteUrl(env);
  const region = ampRegion(url.hostname);
  const authRaw = value(env, 'REMOTE_WRITE_AUTH')?.toLowerCase();
  let auth: AuthMode;
  if (authRaw === undefined) {
    auth = url.hostname.toLowerCase().startsWith('aps-workspaces.') ? 'sigv4' : 'none';
  } else if ((AUTH_MODES as readonly string[]).includes(authRaw)) {
    auth = authRaw as AuthMode;
  } else {
    throw new ConfigError('REMOTE_WRITE_AUTH', `expected one of ${AUTH_MODES.join(', ')}, got ${authRaw}`);
  }

  let sigv4Region: string | undefined;
  if (auth === 'sigv4') {
    sigv4Region = region ?? value(env, 'AWS_REGION') ?? value(env, 'AWS_DEFAULT_REGION');
    if (sigv4Region === undefined) {
      throw new ConfigError(
        'REMOTE_WRITE_URL',
        `cannot tell the SigV4 region from host ${url.hostname}; set AWS_REGION or use an aps-workspaces.<region> URL`,
      );
    }
  }

  const secretArn = value(env, 'REMOTE_WRITE_SECRET_ARN');
  if ((auth === 'bearer' || auth === 'basic') && secretArn === undefined) {
    throw new ConfigError('REMOTE_WRITE_SECRET_ARN', `required when REMOTE_WRITE_AUTH=${auth}`);
  }

  const deadLetterQueueUrl = value(env, 'DEAD_LETTER_QUEUE_URL');
  // Only the scheme is checked: SQS clients accept queue URLs that WHATWG URL parsing refuses (local
  // servers name hosts like sqs.us-east-1.127.0.0.1).
  if (deadLetterQueueUrl !== undefined && !/^https?:\/\/[^/\s]+\/\S+$/.test(deadLetterQueueUrl)) {
    throw new ConfigError('DEAD_LETTER_QUEUE_URL', `not a queue URL: ${JSON.stringify(deadLetterQueueUrl)}`);
  }

  const retryBaseDelayMs = integer(env, 'RETRY_BASE_DELAY_MS', 100, 1, 60_000);
  const retryMaxDelayMs = integer(env, 'RETRY_MAX_DELAY_MS', 10_000, 1, 600_000);
  if (retryMaxDelayMs < retryBaseDelayMs) {
    throw new ConfigError(
      'RETRY_MAX_DELAY_MS',
      `must not be below RETRY_BASE_DELAY_MS (${retryBaseDelayMs})`,
    );
  }

  const config: IngestConfig = {
    remoteWriteUrl: url,
    auth,
    ...(sigv4Region === undefined ? {} : { sigv4Region }),
    ...(secretArn === undefined ? {} : { secretArn }),
    ...(deadLetterQueueUrl === undefined ? {} : { deadLetterQueueUrl }),
    extraLabels: stringRecord(env, 'EXTRA_LABELS'),
    customHeaders: customHeaders(env),
    timeoutMs: integer(env, 'REMOTE_WRITE_TIMEOUT_MS', 10_000, 100, 900_000),
    ...optionalEntry(
      'maxSamplesPerRequest',
      optionalInteger(env, 'REMOTE_WRITE_MAX_SAMPLES_PER_REQUEST', 1, 1_000_000),
    ),
    ...optionalEntry(
      'maxBytesPerRequest',
      optionalInteger(env, 'REMOTE_WRITE_MAX_BYTES_PER_REQUEST', 1_024, 100_000_000),
    ),
    concurrency: integer(env, 'REMOTE_WRITE_CONCURRENCY', 4, 1, 64),
    retryBaseDelayMs,
    retryMaxDelayMs,
    deadlineSafetyMarginMs: integer(env, 'DEADLINE_SAFETY_MARGIN_MS', 3_000, 0, 600_000),
    ...optionalEntry('maxLabelsPerSeries', optionalInteger(env, 'MAX_LABELS_PER_SERIES', 1, 1_000)),
    ...optionalEntry('maxLabelNameLength', optionalInteger(env, 'MAX_LABEL_NAME_LENGTH', 1, 65_536)),
    ...optionalEntry('maxLabelValueLength', optionalInteger(env, 'MAX_LABEL_VALUE_LENGTH', 1, 1_048_576)),
  };
  // The pipeline's own check of extra labels, run here so that a bad name fails the cold start naming the
  // variable, rather than every batch.
  try {
    const pipeline = pipelineConfigFrom(config);
    prepareExtraLabels(pipeline.extraLabels, pipeline.limits);
  } catch (error) {
    throw new ConfigError('EXTRA_LABELS', (error as Error).message);
  }
  return config;
}

/** The pipeline settings of a configuration: what it sets, and the pipeline defaults for the rest. */
export function pipelineConfigFrom(config: IngestConfig): PipelineConfig {
  const defaults = DEFAULT_PIPELINE_CONFIG;
  return {
    ...defaults,
    extraLabels: config.extraLabels,
    limits: {
      ...defaults.limits,
      maxLabelsPerSeries: config.maxLabelsPerSeries ?? defaults.limits.maxLabelsPerSeries,
      maxLabelNameLength: config.maxLabelNameLength ?? defaults.limits.maxLabelNameLength,
      maxLabelValueLength: config.maxLabelValueLength ?? defaults.limits.maxLabelValueLength,
    },
    request: {
      maxSamplesPerRequest: config.maxSamplesPerRequest ?? defaults.request.maxSamplesPerRequest,
      maxBytesPerRequest: config.maxBytesPerRequest ?? defaults.request.maxBytesPerRequest,
    },
  };
}
