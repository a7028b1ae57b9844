// The bridge's own formats: Sample {name, value, timestamp?, labels?}, Report {metrics, timestamp?, labels?}, and
// an array of those. Unknown fields are ignored, so IoT rule SQL may add context (topic, clientid) freely.

import { InvalidMessageError } from '../errors.js';
import type { DecodedSample } from '../model.js';
import { indexPath, isPlainObject, keyPath, kindOf, quote } from './diagnostics.js';
import { parseTimestampMs, timestampProblem } from './timestamp.js';
import { parseValue, valueProblem } from './value.js';

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** True when a record looks like a Sample or Report (decides how an array body is read). */
export function isObjectFormat(record: Record<string, unknown>): boolean {
  return record.name !== undefined || record.value !== undefined || record.metrics !== undefined;
}

/**
 * The labels object with every value as a string. Numbers and booleans become their JSON text (1.0 → "1",
 * true → "true") because devices often send numeric ids; null, objects and arrays are errors. The parsed object is
 * converted in place and returned: no copy per message, and all samples of a Report share it (the normaliser
 * caches by identity). Assigning to an own `__proto__` key made by JSON.parse sets the own property, not the prototype.
 */
function decodeLabels(messageId: string, raw: unknown, index: number): Readonly<Record<string, string>> {
  if (raw === undefined) return NO_LABELS;
  if (!isPlainObject(raw)) {
    throw new InvalidMessageError(
      messageId,
      keyPath(recordPath(index), 'labels'),
      `expected an object of label names to string values, got ${kindOf(raw)} ${quote(raw)}`,
    );
  }
  for (const key in raw) {
    const value = raw[key];
    if (key.length === 0) {
      throw new InvalidMessageError(
        messageId,
        keyPath(keyPath(recordPath(index), 'labels'), key),
        'label name must not be empty',
      );
    }
    if (typeof value === 'string') continue;
    if (typeof value === 'number' && value - value === 0) raw[key] = String(value);
    else if (typeof value === 'boolean') raw[key] = value ? 'true' : 'false';
    else {
      throw new InvalidMessageError(
        messageId,
        keyPath(keyPath(recordPath(index), 'labels'), key),
        `expected a label value string (numbers and booleans are accepted as text), got ${quote(value)}`,
      );
    }
  }
  return raw as Record<string, string>;
}

function decodeTimestamp(messageId: string, raw: unknown, index: number, fallback: number): number {
  if (raw === undefined) return fallback;
  const ms = parseTimestampMs(raw);
  if (ms === undefined) {
    throw new InvalidMessageError(messageId, keyPath(recordPath(index), 'timestamp'), timestampProblem(raw));
  }
  return ms;
}

/** The JSON path of the record at `index` of an array body; -1 is a body that is a single object. */
function recordPath(index: number): string {
  return index < 0 ? '' : indexPath('', index);
}

/**
 * Appends the samples of one Sample or Report object to `out`. `index` is its place in an array body (-1 for a
 * single-object body); paths for error messages are built from it only when an error is thrown.
 */
export function decodeSampleOrReport(
  messageId: string,
  record: Record<string, unknown>,
  index: number,
  sentTimestampMs: number,
  out: DecodedSample[],
): void {
  const metrics = record.metrics;
  const name = record.name;
  const isSample = name !== undefined || record.value !== undefined;
  if (metrics !== undefined && isSample) {
    throw new InvalidMessageError(
      messageId,
      recordPath(index),
      'has both "metrics" (a Report) and "name"/"value" (a Sample); send one form per object',
    );
  }
  if (metrics === undefined && !isSample) {
    const keys = Object.keys(record).slice(0, 8).join(', ');
    throw new InvalidMessageError(
      messageId,
      recordPath(index),
      `expected a Sample {"name", "value"} or a Report {"metrics"}, got an object with keys [${keys}]`,
    );
  }

  const labels = decodeLabels(messageId, record.labels, index);
  const timestampMs = decodeTimestamp(messageId, record.timestamp, index, sentTimestampMs);

  if (isSample) {
    if (typeof name !== 'string' || name.length === 0) {
      throw new InvalidMessageError(
        messageId,
        keyPath(recordPath(index), 'name'),
        `expected a non-empty metric name string, got ${name === undefined ? 'nothing' : quote(name)}`,
      );
    }
    const raw = record.value;
    const value = parseValue(raw);
    if (value === undefined)
      throw new InvalidMessageError(messageId, keyPath(recordPath(index), 'value'), valueProblem(raw));
    out.push({ name, labels, value, timestampMs });
    return;
  }

  if (!isPlainObject(metrics)) {
    throw new InvalidMessageError(
      messageId,
      keyPath(recordPath(index), 'metrics'),
      `expected an object of metric names to values, got ${kindOf(metrics)} ${quote(metrics)}`,
    );
  }
  for (const metric in metrics) {
    const raw = metrics[metric];
    const value = parseValue(raw);
    if (value === undefined || metric.length === 0) {
      const where = keyPath(keyPath(recordPath(index), 'metrics'), metric);
      const reason = metric.length === 0 ? 'metric name must not be empty' : valueProblem(raw);
      throw new InvalidMessageError(messageId, where, reason);
    }
    out.push({ name: metric, labels, value, timestampMs });
  }
}

/** Appends the samples of an array of Sample/Report objects to `out`. */
export function decodeObjectArray(
  messageId: string,
  items: readonly unknown[],
  sentTimestampMs: number,
  out: DecodedSample[],
): void {
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!isPlainObject(item)) {
      throw new InvalidMessageError(
        messageId,
        indexPath('', i),
        `expected a Sample or Report object, got ${kindOf(item)} ${quote(item)}`,
      );
    }
    decodeSampleOrReport(messageId, item, i, sentTimestampMs, out);
  }
}
