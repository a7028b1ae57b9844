// SenML packs (RFC 8428, JSON), resolved as section 4.6 says: base fields (bn, bt, bu, bv, bs, bver) apply to their
// own record and every later one until replaced; name = bn + n; value = bv + v; time = bt + t in seconds, and a time
// below 2^28 is relative to the message's arrival (SQS SentTimestamp); unknown fields are ignored unless their name
// ends in "_" (must-understand, section 4.4), which makes the pack unusable.
//
// Choices the RFC leaves to a consumer (documented in docs/formats.md):
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
import { described, indexPath, isPlainObject, keyPath, quote } from './diagnostics.js';
import type { DecodeContext } from './object-formats.js';
import { windowProblem } from './sample-window.js';
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

/** The fields of one record, as read by SenmlPackReader.readRecord. */
interface SenmlRecord {
  name: string | undefined;
  unit: string | undefined;
  rawValue: unknown;
  booleanValue: boolean | undefined;
  hasStringOrData: boolean;
  valueFields: number;
  sum: number | undefined;
  time: number | undefined;
  describesMeasurement: boolean;
}

function emptyRecord(): SenmlRecord {
  return {
    name: undefined,
    unit: undefined,
    rawValue: undefined,
    booleanValue: undefined,
    hasStringOrData: false,
    valueFields: 0,
    sum: undefined,
    time: undefined,
    describesMeasurement: false,
  };
}

/** The base fields in scope while a pack is read record by record (section 4.6). */
class SenmlPackReader {
  baseName: string | undefined;
  baseTime = 0;
  baseTimeIndex = -1;
  baseUnit: string | undefined;
  baseValue = 0;
  baseSum = 0;
  version: number | undefined;
  // Consecutive records usually share bn and unit: one labels object for them all (the normaliser caches by identity).
  private labels: Record<string, string> | undefined;
  private labelsBaseName: string | undefined;
  private labelsUnit: string | undefined;

  private readonly messageId: string;
  private readonly sentTimestampMs: number;

  constructor(private readonly ctx: DecodeContext) {
    this.messageId = ctx.messageId;
    this.sentTimestampMs = ctx.sentTimestampMs;
  }

  /** Reads record `i`'s fields, updating the base fields it sets. */
  readRecord(record: Record<string, unknown>, i: number): SenmlRecord {
    const r = emptyRecord();
    for (const key in record) {
      const field = record[key];
      if (key.charCodeAt(0) === 0x62 /* b */) this.readBaseField(key, field, i);
      else this.readRecordField(r, key, field, i);
    }
    return r;
  }

  private readBaseField(key: string, field: unknown, i: number): void {
    const messageId = this.messageId;
    switch (key) {
      case 'bn':
        this.baseName = senmlString(messageId, i, key, field);
        break;
      case 'bt':
        this.baseTime = senmlNumber(messageId, i, key, field);
        this.baseTimeIndex = i;
        break;
      case 'bu':
        this.baseUnit = senmlString(messageId, i, key, field);
        break;
      case 'bv': {
        const value = parseValue(field);
        if (value === undefined)
          throw new InvalidMessageError(messageId, fieldPath(i, key), valueProblem(field));
        this.baseValue = value;
        break;
      }
      case 'bs':
        this.baseSum = senmlNumber(messageId, i, key, field);
        break;
      case 'bver':
        this.readVersion(field, i);
        break;
      default:
        checkUnknownField(messageId, key, i);
    }
  }

  private readVersion(field: unknown, i: number): void {
    const messageId = this.messageId;
    if (typeof field !== 'number' || !Number.isInteger(field) || field < 1) {
      typeError(messageId, i, 'bver', 'a positive integer version', field);
    }
    if (field > SENML_VERSION) {
      throw new InvalidMessageError(
        messageId,
        fieldPath(i, 'bver'),
        `SenML version ${field} is newer than this bridge understands (${SENML_VERSION}); the pack cannot be used`,
      );
    }
    if (this.version !== undefined && field !== this.version) {
      throw new InvalidMessageError(
        messageId,
        fieldPath(i, 'bver'),
        `all records of a SenML pack must have one version, got ${field} after ${this.version}`,
      );
    }
    this.version = field;
  }

  private readRecordField(r: SenmlRecord, key: string, field: unknown, i: number): void {
    const messageId = this.messageId;
    switch (key) {
      case 'n':
        r.name = senmlString(messageId, i, key, field);
        r.describesMeasurement = true;
        break;
      case 'u':
        r.unit = senmlString(messageId, i, key, field);
        r.describesMeasurement = true;
        break;
      case 'v':
        r.rawValue = field;
        r.valueFields++;
        break;
      case 'vb':
        if (typeof field !== 'boolean') typeError(messageId, i, key, 'a boolean', field);
        r.booleanValue = field;
        r.valueFields++;
        break;
      case 'vs':
      case 'vd':
        senmlString(messageId, i, key, field);
        r.hasStringOrData = true;
        r.valueFields++;
        break;
      case 's':
        r.sum = senmlNumber(messageId, i, key, field);
        break;
      case 't':
      case 'ut':
        if (key === 't') r.time = senmlNumber(messageId, i, key, field);
        else senmlNumber(messageId, i, key, field);
        r.describesMeasurement = true;
        break;
      default:
        checkUnknownField(messageId, key, i);
    }
  }

  /** The record's value; 'skip' for a string/data record, undefined for one that only sets base fields. */
  valueOf(r: SenmlRecord, i: number): number | 'skip' | undefined {
    const messageId = this.messageId;
    if (r.valueFields > 1) {
      throw new InvalidMessageError(
        messageId,
        indexPath('', i),
        'a SenML record carries at most one of v, vs, vb and vd',
      );
    }
    if (r.rawValue !== undefined) {
      const v = parseValue(r.rawValue);
      if (v === undefined)
        throw new InvalidMessageError(messageId, fieldPath(i, 'v'), valueProblem(r.rawValue));
      return this.baseValue + v;
    }
    if (r.booleanValue !== undefined) return r.booleanValue ? 1 : 0;
    if (r.hasStringOrData) return 'skip';
    if (r.sum !== undefined) return this.baseSum + r.sum;
    if (r.describesMeasurement) {
      throw new InvalidMessageError(
        messageId,
        indexPath('', i),
        'a SenML record needs a value: one of v, vb, vs, vd or s',
      );
    }
    return undefined;
  }

  /** The sample of record `i` with value `value`. */
  sampleOf(r: SenmlRecord, i: number, value: number): DecodedSample {
    const { baseName } = this;
    const name = r.name;
    const resolvedName = baseName === undefined ? (name ?? '') : baseName + (name ?? '');
    if (resolvedName.length === 0) {
      throw new InvalidMessageError(
        this.messageId,
        indexPath('', i),
        'a SenML record needs a name: "n", or "bn" in this or an earlier record',
      );
    }
    const metricName = baseName !== undefined && name !== undefined && name.length > 0 ? name : resolvedName;
    return {
      name: metricName,
      labels: this.labelsOf(r.unit ?? this.baseUnit),
      value,
      timestampMs: this.timeOf(r, i),
    };
  }

  private labelsOf(unit: string | undefined): Record<string, string> {
    if (this.labels === undefined || this.labelsBaseName !== this.baseName || this.labelsUnit !== unit) {
      const labels: Record<string, string> = {};
      if (this.baseName !== undefined) labels.base_name = this.baseName;
      if (unit !== undefined) labels.unit = unit;
      this.labels = labels;
      this.labelsBaseName = this.baseName;
      this.labelsUnit = unit;
    }
    return this.labels;
  }

  /** bt + t in milliseconds, relative to the arrival time below 2^28 s. */
  private timeOf(r: SenmlRecord, i: number): number {
    const seconds = this.baseTime + (r.time ?? 0);
    const relative = seconds < SENML_RELATIVE_TIME_LIMIT_S;
    const timestampMs = relative
      ? this.sentTimestampMs + Math.round(seconds * 1000)
      : Math.round(seconds * 1000);
    const where =
      r.time !== undefined || this.baseTimeIndex < 0
        ? fieldPath(i, 't')
        : fieldPath(this.baseTimeIndex, 'bt');
    if (!(timestampMs >= 0 && timestampMs <= MAX_TIMESTAMP_MS)) {
      const how = relative
        ? `is relative to the arrival time (below 2^28 s) and lands at ${timestampMs} ms`
        : `is ${timestampMs} ms since the epoch`;
      throw new InvalidMessageError(
        this.messageId,
        where,
        `resolved time bt + t = ${seconds} s ${how}, outside 1970 to 9999${this.millisecondsHint(seconds)}`,
      );
    }
    const window = this.ctx.window;
    const problem =
      window === undefined ? undefined : windowProblem(timestampMs, this.sentTimestampMs, window);
    if (problem !== undefined) {
      throw new InvalidMessageError(
        this.messageId,
        where,
        `resolved time bt + t: ${problem}${this.millisecondsHint(seconds)}`,
      );
    }
    return timestampMs;
  }

  /** SenML times are seconds: a device sending milliseconds is told so. */
  private millisecondsHint(seconds: number): string {
    return Math.abs(seconds - this.sentTimestampMs) <= 86_400_000
      ? '; it reads as milliseconds since the epoch, but SenML times are seconds'
      : '';
  }
}

/** Unknown fields are ignored, except must-understand ones (a name ending in "_", section 4.4). */
function checkUnknownField(messageId: string, key: string, i: number): void {
  if (key.charCodeAt(key.length - 1) === 0x5f /* _ */) {
    throw new InvalidMessageError(
      messageId,
      fieldPath(i, key),
      'is a must-understand SenML field (its name ends in "_") that this bridge does not support, so the pack cannot be used',
    );
  }
}

/** Appends the samples of a SenML pack to `out`; returns how many records were skipped for having no number. */
export function decodeSenmlPack(ctx: DecodeContext, pack: readonly unknown[], out: DecodedSample[]): number {
  const messageId = ctx.messageId;
  const reader = new SenmlPackReader(ctx);
  let skipped = 0;
  for (let i = 0; i < pack.length; i++) {
    const record = pack[i];
    if (!isPlainObject(record)) {
      throw new InvalidMessageError(
        messageId,
        indexPath('', i),
        `expected a SenML record object, got ${described(record)}`,
      );
    }
    const fields = reader.readRecord(record, i);
    const value = reader.valueOf(fields, i);
    if (value === 'skip') skipped++;
    else if (value !== undefined) out.push(reader.sampleOf(fields, i, value));
  }
  return skipped;
}
