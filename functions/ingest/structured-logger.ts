// Structured JSON logs with the keys Powertools Logger writes (level, message, timestamp, service, cold_start,
// function_*, xray_trace_id, then appended keys and per-call extras), so existing log queries keep working.
// Written by hand to keep Powertools Logger's import (node:crypto, its own Console, much code the function never
// calls) out of the cold start (bench goal P).
// Left out on purpose, since the function does not use them: debug sampling (sampling_rate), persistent keys,
// child loggers, log buffering, custom formatters and JSON replacers, TZ-offset timestamps (Lambda runs in
// UTC), correlation ids, and the warning Powertools logs when a reserved key is appended (it is dropped silently).
import { isDevMode, lineSinkFor, type Env, type LineSeverity, type LineSink } from './log-output.js';

export const LOG_LEVELS = {
  TRACE: 6,
  DEBUG: 8,
  INFO: 12,
  WARN: 16,
  ERROR: 20,
  CRITICAL: 24,
  SILENT: 28,
} as const;

export type LogLevel = keyof typeof LOG_LEVELS;

/** The part of the Lambda context that logs carry. */
export interface LogContext {
  readonly invokedFunctionArn: string;
  readonly awsRequestId: string;
  readonly functionName: string;
  readonly memoryLimitInMB: string | number;
}

/** An extra after the message: an Error (logged as `error`), a string (logged as `extra`) or keys to merge. */
export type LogExtra = Error | string | Readonly<Record<string, unknown>> | null | undefined;

export interface StructuredLoggerOptions {
  readonly serviceName: string;
  /** Read for the level at construction and for the X-Ray trace id at each entry. @default process.env */
  readonly env?: Env;
  /** @default stdout, or the global console with POWERTOOLS_DEV */
  readonly sink?: LineSink;
}

/** Keys the base attributes own; appended keys and extras of these names are dropped, as Powertools does. */
const RESERVED_KEYS = new Set(['level', 'message', 'sampling_rate', 'service', 'timestamp']);

function parseLevel(value: string | undefined): LogLevel | undefined {
  const name = value?.trim().toUpperCase();
  return name !== undefined && Object.hasOwn(LOG_LEVELS, name) ? (name as LogLevel) : undefined;
}

/**
 * POWERTOOLS_LOG_LEVEL, else LOG_LEVEL, else INFO; Lambda's advanced logging controls (AWS_LAMBDA_LOG_LEVEL)
 * win when they are stricter, since Lambda drops the lines below its level anyway. Unlike Powertools, which
 * takes AWS_LAMBDA_LOG_LEVEL whenever it is set, a stricter POWERTOOLS_LOG_LEVEL is still honoured.
 */
export function resolveLogLevel(env: Env): LogLevel {
  const configured = parseLevel(env['POWERTOOLS_LOG_LEVEL']) ?? parseLevel(env['LOG_LEVEL']) ?? 'INFO';
  const lambdaValue = env['AWS_LAMBDA_LOG_LEVEL']?.trim().toUpperCase();
  const lambda = parseLevel(lambdaValue === 'FATAL' ? 'CRITICAL' : lambdaValue);
  return lambda !== undefined && LOG_LEVELS[lambda] > LOG_LEVELS[configured] ? lambda : configured;
}

/** The Root of _X_AMZN_TRACE_ID ("Root=1-…;Parent=…;Sampled=1"), as Powertools logs it. */
export function xrayTraceId(env: Env): string | undefined {
  const value = env['_X_AMZN_TRACE_ID']?.trim();
  if (!value) return undefined;
  if (!value.includes('=')) return value;
  for (const field of value.split(';')) {
    const [key, id] = field.split('=');
    if (key === 'Root') return id;
  }
  return undefined;
}

/** "file:line" of the first stack frame with a location in parentheses, as Powertools' `location`. */
function codeLocation(stack: string | undefined): string {
  if (!stack) return '';
  const frame = /\(([^()]*?):(\d+?):(\d+?)\)\\?$/;
  for (const line of stack.split('\n')) {
    const match = frame.exec(line);
    if (match) return `${match[1]}:${Number(match[2])}`;
  }
  return '';
}

/** Powertools' error shape: name, location, message, stack, cause (recursively) and the error's own keys. */
export function formatError(error: Error, devMode = false): Record<string, unknown> {
  const formatted: Record<string, unknown> = {
    name: error.name,
    location: codeLocation(error.stack),
    message: error.message,
    stack: devMode && typeof error.stack === 'string' ? error.stack.split('\n') : error.stack,
    cause: error.cause instanceof Error ? formatError(error.cause, devMode) : error.cause,
  };
  for (const [key, value] of Object.entries(error)) {
    if (key !== 'name' && key !== 'message' && key !== 'stack' && key !== 'cause') formatted[key] = value;
  }
  return formatted;
}

/** Errors anywhere in an entry are formatted, bigints become strings, and a circular reference is left out. */
function jsonReplacer(devMode: boolean): (this: unknown, key: string, value: unknown) => unknown {
  const ancestors: unknown[] = [];
  return function (this: unknown, _key: string, value: unknown): unknown {
    const replaced = value instanceof Error ? formatError(value, devMode) : value;
    if (typeof replaced === 'bigint') return replaced.toString();
    if (typeof replaced === 'object' && replaced !== null) {
      while (ancestors.length > 0 && ancestors.at(-1) !== this) ancestors.pop();
      if (ancestors.includes(replaced)) return undefined;
      ancestors.push(replaced);
    }
    return replaced;
  };
}

export class StructuredLogger {
  readonly level: LogLevel;
  readonly serviceName: string;
  readonly #threshold: number;
  readonly #env: Env;
  readonly #sink: LineSink;
  readonly #devMode: boolean;
  #keys: Record<string, unknown> = {};
  #context: (LogContext & { coldStart: boolean }) | undefined;
  // Lambda sets AWS_LAMBDA_INITIALIZATION_TYPE; only an on-demand environment has a cold first invocation
  // (provisioned concurrency and SnapStart initialise before any request), as Powertools reports it.
  #coldStartPending: boolean;

  constructor(options: StructuredLoggerOptions) {
    const env = options.env ?? process.env;
    this.serviceName = options.serviceName;
    this.level = resolveLogLevel(env);
    this.#threshold = LOG_LEVELS[this.level];
    this.#env = env;
    this.#sink = options.sink ?? lineSinkFor(env);
    this.#devMode = isDevMode(env);
    this.#coldStartPending = env['AWS_LAMBDA_INITIALIZATION_TYPE']?.trim() === 'on-demand';
  }

  trace(message: string, ...extras: LogExtra[]): void {
    this.#log('TRACE', message, extras);
  }

  debug(message: string, ...extras: LogExtra[]): void {
    this.#log('DEBUG', message, extras);
  }

  info(message: string, ...extras: LogExtra[]): void {
    this.#log('INFO', message, extras);
  }

  warn(message: string, ...extras: LogExtra[]): void {
    this.#log('WARN', message, extras);
  }

  error(message: string, ...extras: LogExtra[]): void {
    this.#log('ERROR', message, extras);
  }

  critical(message: string, ...extras: LogExtra[]): void {
    this.#log('CRITICAL', message, extras);
  }

  /** Keys on every entry until resetKeys() (the handler resets them after each invocation). */
  appendKeys(keys: Readonly<Record<string, unknown>>): void {
    for (const [key, value] of Object.entries(keys)) {
      if (!RESERVED_KEYS.has(key)) this.#keys[key] = value;
    }
  }

  resetKeys(): void {
    this.#keys = {};
  }

  /** The invocation's function_* keys; cold_start is true for the first invocation of an on-demand instance. */
  addContext(context: LogContext): void {
    const coldStart = this.#coldStartPending;
    this.#coldStartPending = false;
    this.#context = {
      invokedFunctionArn: context.invokedFunctionArn,
      awsRequestId: context.awsRequestId,
      functionName: context.functionName,
      memoryLimitInMB: context.memoryLimitInMB,
      coldStart,
    };
  }

  #log(level: LogLevel, message: string, extras: readonly LogExtra[]): void {
    if (LOG_LEVELS[level] < this.#threshold) return;
    const context = this.#context;
    const entry: Record<string, unknown> = {
      level,
      message,
      timestamp: new Date().toISOString(),
      service: this.serviceName,
      cold_start: context?.coldStart,
      function_arn: context?.invokedFunctionArn,
      function_memory_size: context?.memoryLimitInMB,
      function_name: context?.functionName,
      function_request_id: context?.awsRequestId,
      xray_trace_id: xrayTraceId(this.#env),
    };
    for (const [key, value] of Object.entries(this.#keys)) entry[key] = value;
    for (const extra of extras) {
      if (extra === null || extra === undefined) continue;
      if (extra instanceof Error) entry['error'] = extra;
      else if (typeof extra === 'string') entry['extra'] = extra;
      else {
        for (const [key, value] of Object.entries(extra)) {
          if (!RESERVED_KEYS.has(key)) entry[key] = value;
        }
      }
    }
    // Powertools leaves out empty top-level values; queries test for a key's presence.
    const printed: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(entry)) {
      if (value !== undefined && value !== null && value !== '') printed[key] = value;
    }
    const severity: LineSeverity =
      LOG_LEVELS[level] >= LOG_LEVELS.ERROR ? 'error' : level === 'WARN' ? 'warn' : 'info';
    this.#sink(JSON.stringify(printed, jsonReplacer(this.#devMode), this.#devMode ? 4 : 0), severity);
  }
}
