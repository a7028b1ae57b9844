// The bridge's own formats: Sample {name, value, timestamp?, labels?}, Report {metrics, timestamp?, labels?}, and
// an array of those. Any other top-level field is an error: an IoT rule like `SELECT *, topic(2) AS device` would
// otherwise put every device's samples into one series without a word.
import type { SampleWindow } from '../config.js';
import { InvalidMessageError } from '../errors.js';
import type { DecodedSample } from '../model.js';
import { described, indexPath, isPlainObject, keyPath, quote } from './diagnostics.js';
import { unitHint, windowProblem } from './sample-window.js';
import { parseTimestampMs, timestampProblem } from './timestamp.js';
import { parseValue, valueProblem } from './value.js';

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** What decoding one message needs besides its body. */
export interface DecodeContext {
  readonly messageId: string;
  /** SQS SentTimestamp: the timestamp of samples without one, and the centre of the window. */
  readonly sentTimestampMs: number;
  /** Timestamps outside it make the message invalid; no check when absent. */
  readonly window?: SampleWindow;
  /** The JSON text of number values, by the object holding them and their key, when the runtime gives it. */
  readonly numberSources?: NumberSources;
}

export type NumberSources = WeakMap<object, Map<string, string>>;

/** Thrown by decodeLabels when it meets a number and the context has no source texts: the caller parses again. */
export class NumberSourceNeeded extends Error {}

const SAMPLE_FIELDS: ReadonlySet<string> = new Set(['name', 'value', 'timestamp', 'labels']);
const REPORT_FIELDS: ReadonlySet<string> = new Set(['metrics', 'timestamp', 'labels']);

/** True when a record looks like a Sample or Report (decides how an array body is read). */
export function isObjectFormat(record: Record<string, unknown>): boolean {
  return record.name !== undefined || record.value !== undefined || record.metrics !== undefined;
}

/** The JSON path of the record at `index` of an array body; -1 is a body that is a single object. */
function recordPath(index: number): string {
  return index < 0 ? '' : indexPath('', index);
}

/**
 * A label value given as a number: its exact JSON text (two ids beyond 2^53 must not become one series). When
 * the runtime cannot give the text, the value is refused with a request to send a string.
 */
function numberLabel(ctx: DecodeContext, holder: object, key: string, value: number, path: string): string {
  if (ctx.numberSources === undefined) throw new NumberSourceNeeded();
  const source = ctx.numberSources.get(holder)?.get(key);
  if (source !== undefined) return source;
  throw new InvalidMessageError(
    ctx.messageId,
    path,
    `send a label value as a JSON string (e.g. "${value}"): this runtime cannot keep a number's exact text`,
  );
}

/**
 * The labels object with every value as a string. Numbers keep their exact JSON text and booleans become
 * "true"/"false", because devices often send numeric ids; null, objects and arrays are errors. The parsed object
 * is converted in place and returned: no copy per message, and all samples of a Report share it (the normaliser
 * caches by identity). Assigning to an own `__proto__` key made by JSON.parse sets the own property.
 */
function decodeLabels(ctx: DecodeContext, raw: unknown, index: number): Readonly<Record<string, string>> {
  if (raw === undefined) return NO_LABELS;
  const labelsPath = keyPath(recordPath(index), 'labels');
  if (!isPlainObject(raw)) {
    throw new InvalidMessageError(
      ctx.messageId,
      labelsPath,
      `expected an object of label names to string values, got ${described(raw)}`,
    );
  }
  for (const key in raw) {
    const value = raw[key];
    if (key.length === 0) {
      throw new InvalidMessageError(ctx.messageId, keyPath(labelsPath, key), 'label name must not be empty');
    }
    if (typeof value === 'string') continue;
    if (typeof value === 'number' && value - value === 0)
      raw[key] = numberLabel(ctx, raw, key, value, keyPath(labelsPath, key));
    else if (typeof value === 'boolean') raw[key] = value ? 'true' : 'false';
    else {
      throw new InvalidMessageError(
        ctx.messageId,
        keyPath(labelsPath, key),
        `expected a label value string (numbers and booleans are accepted as their JSON text), got ${quote(value)}`,
      );
    }
  }
  return raw as Record<string, string>;
}

function decodeTimestamp(ctx: DecodeContext, raw: unknown, index: number): number {
  if (raw === undefined) return ctx.sentTimestampMs;
  const ms = parseTimestampMs(raw);
  const path = keyPath(recordPath(index), 'timestamp');
  if (ms === undefined) {
    const hint = typeof raw === 'number' ? unitHint(raw, ctx.sentTimestampMs) : '';
    throw new InvalidMessageError(ctx.messageId, path, timestampProblem(raw) + hint);
  }
  if (ctx.window !== undefined) {
    const problem = windowProblem(
      ms,
      ctx.sentTimestampMs,
      ctx.window,
      typeof raw === 'number' ? raw : undefined,
    );
    if (problem !== undefined) throw new InvalidMessageError(ctx.messageId, path, problem);
  }
  return ms;
}

/** Refuses a field neither form knows, naming it. */
function checkFields(
  ctx: DecodeContext,
  record: Record<string, unknown>,
  index: number,
  isSample: boolean,
): void {
  const known = isSample ? SAMPLE_FIELDS : REPORT_FIELDS;
  for (const key in record) {
    if (known.has(key)) continue;
    const form = isSample
      ? 'a Sample has only "name", "value", "timestamp" and "labels"'
      : 'a Report has only "metrics", "timestamp" and "labels"';
    throw new InvalidMessageError(
      ctx.messageId,
      keyPath(recordPath(index), key),
      `unknown field (${form}); to make it a label, put it inside "labels"`,
    );
  }
}

/** Which form a record has, or an error saying it has neither or both. */
function formOf(ctx: DecodeContext, record: Record<string, unknown>, index: number): 'sample' | 'report' {
  const isSample = record.name !== undefined || record.value !== undefined;
  if (record.metrics !== undefined && isSample) {
    throw new InvalidMessageError(
      ctx.messageId,
      recordPath(index),
      'has both "metrics" (a Report) and "name"/"value" (a Sample); send one form per object',
    );
  }
  if (record.metrics === undefined && !isSample) {
    const keys = Object.keys(record).slice(0, 8).join(', ');
    throw new InvalidMessageError(
      ctx.messageId,
      recordPath(index),
      `expected a Sample {"name", "value"} or a Report {"metrics"}, got an object with keys [${keys}]`,
    );
  }
  return isSample ? 'sample' : 'report';
}

/**
 * Appends the samples of one Sample or Report object to `out`. `index` is its place in an array body (-1 for a
 * single-object body); paths for error messages are built from it only when an error is thrown.
 */
export function decodeSampleOrReport(
  ctx: DecodeContext,
  record: Record<string, unknown>,
  index: number,
  out: DecodedSample[],
): void {
  const form = formOf(ctx, record, index);
  checkFields(ctx, record, index, form === 'sample');
  const labels = decodeLabels(ctx, record.labels, index);
  const timestampMs = decodeTimestamp(ctx, record.timestamp, index);
  if (form === 'sample') out.push(decodeSample(ctx, record, index, labels, timestampMs));
  else decodeReport(ctx, record.metrics, index, labels, timestampMs, out);
}

function decodeSample(
  ctx: DecodeContext,
  record: Record<string, unknown>,
  index: number,
  labels: Readonly<Record<string, string>>,
  timestampMs: number,
): DecodedSample {
  const name = record.name;
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidMessageError(
      ctx.messageId,
      keyPath(recordPath(index), 'name'),
      `expected a non-empty metric name string, got ${name === undefined ? 'nothing' : quote(name)}`,
    );
  }
  const raw = record.value;
  const value = parseValue(raw);
  if (value === undefined)
    throw new InvalidMessageError(ctx.messageId, keyPath(recordPath(index), 'value'), valueProblem(raw));
  return { name, labels, value, timestampMs };
}

function decodeReport(
  ctx: DecodeContext,
  metrics: unknown,
  index: number,
  labels: Readonly<Record<string, string>>,
  timestampMs: number,
  out: DecodedSample[],
): void {
  if (!isPlainObject(metrics)) {
    throw new InvalidMessageError(
      ctx.messageId,
      keyPath(recordPath(index), 'metrics'),
      `expected an object of metric names to values, got ${described(metrics)}`,
    );
  }
  for (const metric in metrics) {
    const raw = metrics[metric];
    const value = parseValue(raw);
    if (value === undefined || metric.length === 0) {
      const where = keyPath(keyPath(recordPath(index), 'metrics'), metric);
      const reason = metric.length === 0 ? 'metric name must not be empty' : valueProblem(raw);
      throw new InvalidMessageError(ctx.messageId, where, reason);
    }
    out.push({ name: metric, labels, value, timestampMs });
  }
}

/** Appends the samples of an array of Sample/Report objects to `out`. */
export function decodeObjectArray(ctx: DecodeContext, items: readonly unknown[], out: DecodedSample[]): void {
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!isPlainObject(item)) {
      throw new InvalidMessageError(
        ctx.messageId,
        indexPath('', i),
        `expected a Sample or Report object, got ${described(item)}`,
      );
    }
    decodeSampleOrReport(ctx, item, i, out);
  }
}
