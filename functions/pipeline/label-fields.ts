// The encoded label fields of a series, made from its label set's fields. Every series of a set shares the set's
// labels and adds `__name__`, so the set is encoded once and each series only splices its name field in: a new
// device's series cost one small array each instead of a full encoding (sizes, a writer and a pooled buffer).
// The bytes equal encodeLabelFields(withMetricName(labels, name)); test/pipeline/label-fields.test.ts checks it.
import { encodeLabelFields } from './encode.js';
import type { Label } from './model.js';
import { METRIC_NAME_LABEL } from './label-rules.js';

export const TAG_LABELS = 0x0a;
export const TAG_LABEL_NAME = 0x0a;
export const TAG_LABEL_VALUE = 0x12;

export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

/** Writes an unsigned varint at `at`; returns the position after it. */
export function putVarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[at++] = value;
  return at;
}

/**
 * A label set's encoded fields: `bytes` holds them with, between nameAt and nameEnd, one series' `__name__`
 * field (none yet when the two are equal).
 */
export interface SetFields {
  readonly bytes: Uint8Array;
  readonly nameAt: number;
  readonly nameEnd: number;
}

/** Encodes a checked, sorted label set (no `__name__`) for its first series. */
export function setFieldsOf(labels: readonly Label[]): SetFields {
  // Read only to make the first series: its bytes then stand for the set (see withSeries).
  const bytes = encodeLabelFields(labels);
  let nameAt = 0;
  for (const label of labels) {
    if (label.name > METRIC_NAME_LABEL) break;
    // Skips one field: its tag, its length varint, its content.
    let length = 0;
    let shift = 1;
    let at = nameAt + 1;
    for (;;) {
      const byte = bytes[at++]!;
      length += (byte & 0x7f) * shift;
      if (byte < 0x80) break;
      shift *= 0x80;
    }
    nameAt = at + length;
  }
  return { bytes, nameAt, nameEnd: nameAt };
}

/**
 * The set's fields kept as a series' own bytes, `encoded` (made from `set` by seriesFieldsOf): a set keeps no
 * encoding of its own, and the encoder's pooled buffer is not kept alive.
 */
export function withSeries(set: SetFields, encoded: Uint8Array): SetFields {
  const rest = set.bytes.length - set.nameEnd;
  return { bytes: encoded, nameAt: set.nameAt, nameEnd: encoded.length - rest };
}

/**
 * The label fields of series `name` of a set, whose full label list is `labels`. A sanitised metric name is
 * ASCII (a byte per character); any other name is encoded from the list.
 */
export function seriesFieldsOf(set: SetFields, name: string, labels: readonly Label[]): Uint8Array {
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) >= 0x80) return encodeLabelFields(labels);
  const source = set.bytes;
  const rest = source.length - set.nameEnd;
  const out = new Uint8Array(set.nameAt + nameFieldSize(name.length) + rest);
  // Byte loops rather than set(subarray): these are a few dozen bytes, and a subarray is an object.
  let at = 0;
  for (; at < set.nameAt; at++) out[at] = source[at]!;
  at = putNameField(out, at, name, 0, name.length);
  for (let k = set.nameEnd; k < source.length; k++) out[at++] = source[k]!;
  return out;
}

/** Bytes inside the `__name__` label's field for a metric name of `nameBytes` bytes. */
function nameFieldInner(nameBytes: number): number {
  return (
    1 +
    varintSize(METRIC_NAME_LABEL.length) +
    METRIC_NAME_LABEL.length +
    1 +
    varintSize(nameBytes) +
    nameBytes
  );
}

/** Bytes of the `__name__` label's whole field (tag and length included) for a metric name of `nameBytes` bytes. */
export function nameFieldSize(nameBytes: number): number {
  const inner = nameFieldInner(nameBytes);
  return 1 + varintSize(inner) + inner;
}

/**
 * Writes the `__name__` label's field for the ASCII metric name text[start, end) at `at` (a sanitised name is
 * ASCII: a byte per character); returns the position after it.
 */
export function putNameField(out: Uint8Array, at: number, text: string, start: number, end: number): number {
  out[at++] = TAG_LABELS;
  at = putVarint(out, at, nameFieldInner(end - start));
  out[at++] = TAG_LABEL_NAME;
  at = putVarint(out, at, METRIC_NAME_LABEL.length);
  for (let i = 0; i < METRIC_NAME_LABEL.length; i++) out[at++] = METRIC_NAME_LABEL.charCodeAt(i);
  out[at++] = TAG_LABEL_VALUE;
  at = putVarint(out, at, end - start);
  for (let i = start; i < end; i++) out[at++] = text.charCodeAt(i);
  return at;
}

/** The multiplier of fieldsHash (FNV's prime). */
export const HASH_BASE = 0x01000193;

/** Whether a[aStart, aEnd) and b[bStart, bEnd) hold the same bytes (equal label fields are equal label sets). */
export function sameBytes(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): boolean {
  const length = aEnd - aStart;
  if (bEnd - bStart !== length) return false;
  for (let i = 0; i < length; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}

/**
 * A polynomial hash of bytes[start, end) modulo 2^32, by which grouping merges equal label fields (series.ts).
 * Polynomial so that it composes: the hash of a followed by b is H(a) * hashFactor(|b|) + H(b), and one-off
 * series hash a set's shared fields once, not once per series.
 */
export function fieldsHash(bytes: Uint8Array, start: number, end: number, before = 0): number {
  // `before`: the hash of the bytes before these, which this continues.
  let hash = before;
  for (let i = start; i < end; i++) hash = (Math.imul(hash, HASH_BASE) + bytes[i]!) | 0;
  return hash;
}

/** HASH_BASE to the power `length`, modulo 2^32: what fieldsHash of a prefix is multiplied by before `length` more bytes. */
export function hashFactor(length: number): number {
  let factor = 1;
  for (let i = 0; i < length; i++) factor = Math.imul(factor, HASH_BASE);
  return factor;
}

/** Lengths whose hashFactor HashFactors keeps: a one-off label set is rarely longer. */
const FACTOR_TABLE_LENGTHS = 1024;

/** hashFactor by table for short lengths: hashFactor costs a multiplication per byte, on every one-off set. */
export class HashFactors {
  private readonly table = new Int32Array(FACTOR_TABLE_LENGTHS);

  constructor() {
    let factor = 1;
    for (let length = 0; length < FACTOR_TABLE_LENGTHS; length++) {
      this.table[length] = factor;
      factor = Math.imul(factor, HASH_BASE);
    }
  }

  of(length: number): number {
    return length < FACTOR_TABLE_LENGTHS ? this.table[length]! : hashFactor(length);
  }
}

/** Reads a varint at bytes[at]; returns [value, position after it]. */
function readVarint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 1;
  for (;;) {
    // Past the end reads as 0, which ends the varint: bad bytes give wrong labels, never a loop without end.
    const byte = bytes[at++] ?? 0;
    value += (byte & 0x7f) * shift;
    if (byte < 0x80) return [value, at];
    shift *= 0x80;
  }
}

/** The labels encoded in label fields (the inverse of encodeLabelFields), for the rare reader of a range's labels. */
export function labelsOfFields(bytes: Uint8Array): Label[] {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const labels: Label[] = [];
  let at = 0;
  while (at < bytes.length) {
    const fieldAt = at;
    // Each field: TAG_LABELS, its length, then the name field and the value field.
    const [, inner] = readVarint(bytes, at + 1);
    const [nameLength, nameAt] = readVarint(bytes, inner + 1);
    const [valueLength, valueAt] = readVarint(bytes, nameAt + nameLength + 1);
    labels.push({
      name: text.toString('utf8', nameAt, nameAt + nameLength),
      value: text.toString('utf8', valueAt, valueAt + valueLength),
    });
    at = valueAt + valueLength;
    if (at <= fieldAt) break;
  }
  return labels;
}
