// The ingest function's settings, read once per cold start from the environment (docs/configuration.md); the names,
// defaults and receiver rules come from functions/interface. Every problem is reported with the variable's name, so
// a misconfigured deployment fails its first invocation with a message an operator can act on instead of dropping
// data.
import {
  DEFAULT_MAX_SAMPLE_AGE,
  DEFAULT_MAX_SAMPLE_FUTURE,
  AUTH_MODES,
  SECRET_AUTH_MODES,
  TUNING_VARIABLES,
  VARIABLES,
  ampRegion,
  defaultAuthFor,
  isAuthMode,
  parseDuration,
  receiverProblem,
  type AuthMode,
} from '../interface/index.js';
import { DEFAULT_PIPELINE_CONFIG, prepareExtraLabels, type PipelineConfig } from '../pipeline/index.js';
import { customHeaderProblem } from '../pipeline/headers.js';

export { ampRegion, type AuthMode };

export interface IngestConfig {
  readonly remoteWriteUrl: URL;
  readonly auth: AuthMode;
  /** Region for SigV4, taken from the AMP host name (or AWS_REGION for other hosts). */
  readonly sigv4Region?: string;
  readonly secretArn?: string;
  readonly deadLetterQueueUrl?: string;
  readonly extraLabels: Readonly<Record<string, string>>;
  /** Labels a message can never override (FORCED_LABELS). */
  readonly forcedLabels: Readonly<Record<string, string>>;
  /** Custom request headers; never any reserved remote-write, signing or hop-by-hop header. */
  readonly customHeaders: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Request size limits; undefined keeps the pipeline's defaults. */
  readonly maxSamplesPerRequest?: number;
  readonly maxBytesPerRequest?: number;
  readonly concurrency: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly deadlineSafetyMarginMs: number;
  /** The source queue's maxReceiveCount: a record received this often is on its final receive. */
  readonly maxReceiveCount?: number;
  /** The window of sample timestamps accepted, relative to the message's arrival. */
  readonly maxSampleAgeMs: number;
  readonly maxSampleFutureMs: number;
  /** Pipeline limits; undefined keeps the pipeline's defaults. */
  readonly maxSamplesPerMessage?: number;
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

function flag(env: Env, name: string): boolean {
  const raw = value(env, name)?.toLowerCase();
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new ConfigError(name, `expected true or false, got ${JSON.stringify(raw)}`);
}

function duration(env: Env, name: string, fallback: string, minMs: number): number {
  const raw = value(env, name) ?? fallback;
  const ms = parseDuration(raw);
  if (ms === undefined) {
    throw new ConfigError(name, `expected a duration such as 90s, 10m or 1h30m, got ${JSON.stringify(raw)}`);
  }
  if (ms < minMs) throw new ConfigError(name, `must be at least ${minMs / 1000}s, got ${raw}`);
  return ms;
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

function parseUrl(raw: string | undefined): URL {
  if (raw === undefined) throw new ConfigError(VARIABLES.remoteWriteUrl, 'required but not set');
  try {
    return new URL(raw);
  } catch {
    throw new ConfigError(VARIABLES.remoteWriteUrl, `not a URL: ${JSON.stringify(raw)}`);
  }
}

/** The receiver's URL, auth mode and credentials, checked by the rules the stack applies at synth. */
function receiverSettings(
  env: Env,
): Pick<IngestConfig, 'remoteWriteUrl' | 'auth' | 'sigv4Region' | 'secretArn'> {
  const url = parseUrl(value(env, VARIABLES.remoteWriteUrl));
  const authRaw = value(env, VARIABLES.remoteWriteAuth)?.toLowerCase();
  if (authRaw !== undefined && !isAuthMode(authRaw)) {
    throw new ConfigError(
      VARIABLES.remoteWriteAuth,
      `expected one of ${AUTH_MODES.join(', ')}, got ${authRaw}`,
    );
  }
  const auth = authRaw ?? defaultAuthFor(url);
  const problem = receiverProblem({ url, auth, sigv4AnyHost: flag(env, VARIABLES.sigv4AnyHost) });
  if (problem !== undefined) {
    const hint = problem.sigv4AnyHost
      ? `; set ${VARIABLES.sigv4AnyHost}=true to sign for it (AWS_REGION gives the signing region)`
      : '';
    const variable = problem.setting === 'url' ? VARIABLES.remoteWriteUrl : VARIABLES.remoteWriteAuth;
    throw new ConfigError(variable, `${problem.reason}${hint}`);
  }
  let sigv4Region: string | undefined;
  if (auth === 'sigv4') {
    sigv4Region = ampRegion(url.hostname) ?? value(env, 'AWS_REGION') ?? value(env, 'AWS_DEFAULT_REGION');
    if (sigv4Region === undefined) {
      throw new ConfigError(
        VARIABLES.remoteWriteUrl,
        `cannot tell the SigV4 region from host ${url.hostname}; set AWS_REGION or use an aps-workspaces.<region> URL`,
      );
    }
  }
  const secretArn = value(env, VARIABLES.remoteWriteSecretArn);
  if (SECRET_AUTH_MODES.includes(auth) && secretArn === undefined) {
    throw new ConfigError(
      VARIABLES.remoteWriteSecretArn,
      `required when ${VARIABLES.remoteWriteAuth}=${auth}`,
    );
  }
  return {
    remoteWriteUrl: url,
    auth,
    ...(sigv4Region === undefined ? {} : { sigv4Region }),
    ...(secretArn === undefined ? {} : { secretArn }),
  };
}

function customHeaders(env: Env): Record<string, string> {
  const headers = stringRecord(env, VARIABLES.remoteWriteHeaders);
  for (const [name, headerValue] of Object.entries(headers)) {
    const problem = customHeaderProblem(name, headerValue);
    if (problem !== undefined) throw new ConfigError(VARIABLES.remoteWriteHeaders, problem);
  }
  return headers;
}

function deadLetterQueueUrl(env: Env): string | undefined {
  const url = value(env, VARIABLES.deadLetterQueueUrl);
  // Only the scheme is checked: SQS clients accept queue URLs that WHATWG URL parsing refuses (local
  // servers name hosts like sqs.us-east-1.127.0.0.1).
  if (url !== undefined && !/^https?:\/\/[^/\s]+\/\S+$/.test(url)) {
    throw new ConfigError(VARIABLES.deadLetterQueueUrl, `not a queue URL: ${JSON.stringify(url)}`);
  }
  return url;
}

function optionalEntry<K extends string>(key: K, entry: number | undefined): Partial<Record<K, number>> {
  return entry === undefined ? {} : ({ [key]: entry } as Partial<Record<K, number>>);
}

/** How requests are sent and retried. */
function deliverySettings(env: Env) {
  const retryBaseDelayMs = integer(env, TUNING_VARIABLES.retryBaseDelayMs, 100, 1, 60_000);
  const retryMaxDelayMs = integer(env, TUNING_VARIABLES.retryMaxDelayMs, 10_000, 1, 600_000);
  if (retryMaxDelayMs < retryBaseDelayMs) {
    throw new ConfigError(
      TUNING_VARIABLES.retryMaxDelayMs,
      `must not be below RETRY_BASE_DELAY_MS (${retryBaseDelayMs})`,
    );
  }
  return {
    customHeaders: customHeaders(env),
    timeoutMs: integer(env, TUNING_VARIABLES.timeoutMs, 10_000, 100, 900_000),
    ...optionalEntry(
      'maxSamplesPerRequest',
      optionalInteger(env, TUNING_VARIABLES.maxSamplesPerRequest, 1, 1_000_000),
    ),
    ...optionalEntry(
      'maxBytesPerRequest',
      optionalInteger(env, TUNING_VARIABLES.maxBytesPerRequest, 1_024, 100_000_000),
    ),
    concurrency: integer(env, TUNING_VARIABLES.concurrency, 4, 1, 64),
    retryBaseDelayMs,
    retryMaxDelayMs,
    deadlineSafetyMarginMs: integer(env, TUNING_VARIABLES.deadlineSafetyMarginMs, 3_000, 0, 600_000),
    ...optionalEntry('maxReceiveCount', optionalInteger(env, VARIABLES.maxReceiveCount, 1, 1_000)),
  };
}

/** What the pipeline accepts from a message. */
function inputSettings(env: Env) {
  return {
    extraLabels: stringRecord(env, VARIABLES.extraLabels),
    forcedLabels: stringRecord(env, VARIABLES.forcedLabels),
    maxSampleAgeMs: duration(env, VARIABLES.maxSampleAge, DEFAULT_MAX_SAMPLE_AGE, 1_000),
    maxSampleFutureMs: duration(env, VARIABLES.maxSampleFuture, DEFAULT_MAX_SAMPLE_FUTURE, 0),
    ...optionalEntry(
      'maxSamplesPerMessage',
      optionalInteger(env, VARIABLES.maxSamplesPerMessage, 1, 1_000_000),
    ),
    ...optionalEntry(
      'maxLabelsPerSeries',
      optionalInteger(env, TUNING_VARIABLES.maxLabelsPerSeries, 1, 1_000),
    ),
    ...optionalEntry(
      'maxLabelNameLength',
      optionalInteger(env, TUNING_VARIABLES.maxLabelNameLength, 1, 65_536),
    ),
    ...optionalEntry(
      'maxLabelValueLength',
      optionalInteger(env, TUNING_VARIABLES.maxLabelValueLength, 1, 1_048_576),
    ),
  };
}

export function loadConfig(env: Env = process.env): IngestConfig {
  const deadLetter = deadLetterQueueUrl(env);
  const config: IngestConfig = {
    ...receiverSettings(env),
    ...(deadLetter === undefined ? {} : { deadLetterQueueUrl: deadLetter }),
    ...deliverySettings(env),
    ...inputSettings(env),
  };
  // The pipeline's own check of configured labels, run here so that a bad name fails the cold start naming
  // the variable, rather than every batch.
  const pipeline = pipelineConfigFrom(config);
  for (const [variable, labels] of [
    [VARIABLES.extraLabels, pipeline.extraLabels],
    [VARIABLES.forcedLabels, pipeline.forcedLabels],
  ] as const) {
    try {
      prepareExtraLabels(labels, pipeline.limits);
    } catch (error) {
      throw new ConfigError(variable, (error as Error).message);
    }
  }
  return config;
}

/** The pipeline settings of a configuration: what it sets, and the pipeline defaults for the rest. */
export function pipelineConfigFrom(config: IngestConfig): PipelineConfig {
  const defaults = DEFAULT_PIPELINE_CONFIG;
  return {
    ...defaults,
    extraLabels: config.extraLabels,
    forcedLabels: config.forcedLabels,
    sampleWindow: { maxAgeMs: config.maxSampleAgeMs, maxFutureMs: config.maxSampleFutureMs },
    limits: {
      ...defaults.limits,
      maxLabelsPerSeries: config.maxLabelsPerSeries ?? defaults.limits.maxLabelsPerSeries,
      maxLabelNameLength: config.maxLabelNameLength ?? defaults.limits.maxLabelNameLength,
      maxLabelValueLength: config.maxLabelValueLength ?? defaults.limits.maxLabelValueLength,
      maxSamplesPerMessage: config.maxSamplesPerMessage ?? defaults.limits.maxSamplesPerMessage,
    },
    request: {
      maxSamplesPerRequest: config.maxSamplesPerRequest ?? defaults.request.maxSamplesPerRequest,
      maxBytesPerRequest: config.maxBytesPerRequest ?? defaults.request.maxBytesPerRequest,
    },
  };
}
