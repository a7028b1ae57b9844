// SenML packs (RFC 8428, JSON), resolved as section 4.6 says: base fields (bn, bt, bu, bv, bs, bver) apply to their
// own record and every later one until replaced; name = bn + n; value = bv + v; time = bt + t in seconds, and a time
// below 2^28 is relative to the message's arrival (SQS SentTimestamp); unknown fields are ignored unless their name
// ends in "_" (must-understand, section 4.4), which makes the pack unusable.
//
// Choices the RFC leaves to a consumer (documented in README.md):
// - metric name: `n` with the label `base_name` = bn when bn is in scope; bn itself when the record has no `n`;
//   the resolved name when no bn is in scope. A resolved unit (u, else bu) becomes the label `unit`.
// - `vb` gives 1/0 (bv is not added); `v` and `bv` accept the bridge's value rules (numbers, numeric strings,
//   "NaN", "±Inf"); `t`, `bt`, `s`, `bs`, `ut` must be JSON numbers.
// - a record with only `vs`/`vd` is skipped and counted; a record with no value field but a sum `s` yields the
//   sum bs + s as its value (e.g. a meter's running total); when a value field is present, `s` is ignored.
// - a record that only sets base fields (e.g. `{"bn": "dev:"}`) yields nothing and is not counted.
// - times are rounded to the nearest millisecond; `ut` is checked but unused.
// - names are not checked against the RFC's character set: sanitising happens in normalisation.

import { InvalidMessageError } from '../errors.js';
import type { DecodedSample } from '../model.js';
import { indexPath, isPlainObject, keyPath, kindOf, quote } from './diagnostics.js';
import { MAX_TIMESTAMP_MS } from './timestamp.js';
import { parseValue, valueProblem } from './value.js';

/** Times below this many seconds are relative to "now" (RFC 8428 section 4.5.3). */
export const SENML_RELATIVE_TIME_LIMIT_S = 2 ** 28;
/** The SenML version this decoder implements; newer packs must not be used (section 4.4). */
export const SENML_VERSION = 10;

const SENML_FIELDS = ['bn', 'bt', 'bu', 'bv', 'bs', 'bver', 'n', 'u', 'v', 'vs', 'vb', 'vd', 's', 't', 'ut'];

/** True when an array body is a SenML pack rather than an array of Samples/Reports (judged by its first record). */
export function looksLikeSenml(first: Record<string, unknown>): boolean {
  for (const field of SENML_FIELDS) if (first[field] !== undefined) return true;
  return false;
}

function fieldPath(index: number, field: string): string {
  return keyPath(indexPath('', index), field);
}

function typeError(messageId: string, index: number, field: string, expected: string, got: unknown): never {
  throw new InvalidMessageError(
    messageId,
    fieldPath(index, field),
    `expected ${expected}, got ${quote(got)}`,
  );
}

/** A finite JSON number, or a thrown error naming the field. */
function senmlNumber(messageId: string, index: number, field: string, raw: unknown): number {
  if (typeof raw === 'number' && raw - raw === 0) return raw;
  return typeError(messageId, index, field, 'a finite JSON number', raw);
}

function senmlString(messageId: string, index: number, field: string, raw: unknown): string {
  if (typeof raw === 'string') return raw;
  return typeError(messageId, index, field, 'a string', raw);
}

/** Appends the samples of a SenML pack to `out`; returns how many records were skipped for having no number. */
export function decodeSenmlPack(
  messageId: string,
  pack: readonly unknown[],
  sentTimestampMs: number,
  out: DecodedSample[],
): number {
  let baseName: string | undefined;
  let baseTime = 0;
  let baseTimeIndex = -1;
  let baseUnit: string | undefined;
  let baseValue = 0;
  let baseSum = 0;
  let version: number | undefined;
  let skipped = 0;
  // Consecutive records usually share bn and unit: one labels object for them all (the normaliser caches by identity).
  let labels: Record<string, string> | undefined;
  let labelsBaseName: string | undefined;
  let labelsUnit: string | undefined;

  for (let i = 0; i < pack.length; i++) {
    const record = pack[i];
    if (!isPlainObject(record)) {
      throw new InvalidMessageError(
        messageId,
        indexPath('', i),
        `expected a SenML record object, got ${kindOf(record)} ${quote(record)}`,
      );
    }
    let name: string | undefined;
    let unit: string | undefined;
    let rawValue: unknown;
    let booleanValue: boolean | undefined;
    let hasStringOrData = false;
    let valueFields = 0;
    let sum: number | undefined;
    let time: number | undefined;
    let describesMeasurement = false;

    for (const key in record) {
      const field = record[key];
      switch (key) {
        case 'bn':
          baseName = senmlString(messageId, i, key, field);
          break;
        case 'bt':
          baseTime = senmlNumber(messageId, i, key, field);
          baseTimeIndex = i;
          break;
        case 'bu':
          baseUnit = senmlString(messageId, i, key, field);
          break;
        case 'bv': {
          const value = parseValue(field);
          if (value === undefined)
            throw new InvalidMessageError(messageId, fieldPath(i, key), valueProblem(field));
          baseValue = value;
          break;
        }
        case 'bs':
          baseSum = senmlNumber(messageId, i, key, field);
          break;
        case 'bver':
          if (typeof field !== 'number' || !Number.isInteger(field) || field < 1) {
            typeError(messageId, i, key, 'a positive integer version', field);
          }
          if (field > SENML_VERSION) {
            throw new InvalidMessageError(
              messageId,
              fieldPath(i, key),
              `SenML version ${field} is newer than this bridge understands (${SENML_VERSION}); the pack cannot be used`,
            );
          }
          if (version !== undefined && field !== version) {
            throw new InvalidMessageError(
              messageId,
              fieldPath(i, key),
              `all records of a SenML pack must have one version, got ${field} after ${version}`,
            );
          }
          version = field;
          break;
        case 'n':
          name = senmlString(messageId, i, key, field);
          describesMeasurement = true;
          break;
        case 'u':
          unit = senmlString(messageId, i, key, field);
          describesMeasurement = true;
          break;
        case 'v':
          rawValue = field;
          valueFields++;
          break;
        case 'vb':
          if (typeof field !== 'boolean') typeError(messageId, i, key, 'a boolean', field);
          booleanValue = field;
          valueFields++;
          break;
        case 'vs':
        case 'vd':
          senmlString(messageId, i, key, field);
          hasStringOrData = true;
          valueFields++;
          break;
        case 's':
          sum = senmlNumber(messageId, i, key, field);
          break;
        case 't':
          time = senmlNumber(messageId, i, key, field);
          describesMeasurement = true;
          break;
        case 'ut':
          senmlNumber(messageId, i, key, field);
          describesMeasurement = true;
          break;
        default:
          if (key.charCodeAt(key.length - 1) === 0x5f /* _ */) {
            throw new InvalidMessageError(
              messageId,
              fieldPath(i, key),
              'is a must-understand SenML field (its name ends in "_") that this bridge does not support, so the pack cannot be used',
            );
          }
      }
    }

    let value: number;
    if (valueFields > 1) {
      throw new InvalidMessageError(
        messageId,
        indexPath('', i),
        'a SenML record carries at most one of v, vs, vb and vd',
      );
    } else if (rawValue !== undefined) {
      const v = parseValue(rawValue);
      if (v === undefined)
        throw new InvalidMessageError(messageId, fieldPath(i, 'v'), valueProblem(rawValue));
      value = baseValue + v;
    } else if (booleanValue !== undefined) {
      value = booleanValue ? 1 : 0;
    } else if (hasStringOrData) {
      skipped++;
      continue;
    } else if (sum !== undefined) {
      value = baseSum + sum;
    } else if (describesMeasurement) {
      throw new InvalidMessageError(
        messageId,
        indexPath('', i),
        'a SenML record needs a value: one of v, vb, vs, vd or s',
      );
    } else {
      continue;
    }

    const resolvedName = baseName === undefined ? (name ?? '') : baseName + (name ?? '');
    if (resolvedName.length === 0) {
      throw new InvalidMessageError(
        messageId,
        indexPath('', i),
        'a SenML record needs a name: "n", or "bn" in this or an earlier record',
      );
    }
    const metricName = baseName !== undefined && name !== undefined && name.length > 0 ? name : resolvedName;

    const resolvedUnit = unit ?? baseUnit;
    if (labels === undefined || labelsBaseName !== baseName || labelsUnit !== resolvedUnit) {
      labels = {};
      if (baseName !== undefined) labels.base_name = baseName;
      if (resolvedUnit !== undefined) labels.unit = resolvedUnit;
      labelsBaseName = baseName;
      labelsUnit = resolvedUnit;
    }

    const seconds = baseTime + (time ?? 0);
    const timestampMs =
      seconds < SENML_RELATIVE_TIME_LIMIT_S
        ? sentTimestampMs + Math.round(seconds * 1000)
        : Math.round(seconds * 1000);
    if (!(timestampMs >= 0 && timestampMs <= MAX_TIMESTAMP_MS)) {
      const where =
        time !== undefined || baseTimeIndex < 0 ? fieldPath(i, 't') : fieldPath(baseTimeIndex, 'bt');
      const how =
        seconds < SENML_RELATIVE_TIME_LIMIT_S
          ? `is relative to the arrival time (below 2^28 s) and lands at ${timestampMs} ms`
          : `is ${timestampMs} ms since the epoch`;
      throw new InvalidMessageError(
        messageId,
        where,
        `resolved time bt + t = ${seconds} s ${how}, outside 1970 to 9999`,
      );
    }

    out.push({ name: metricName, labels, value, timestampMs });
  }
  return skipped;
}
