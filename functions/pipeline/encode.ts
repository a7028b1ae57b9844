// Remote-Write 1.0 protobuf encoding of a WriteBatch (prometheus.WriteRequest from proto/remote.proto and
// proto/types.proto). Hand-written rather than generated, which is faster than protobufjs' static code and
// Writer (bench/encode.bench.ts compares them). Each series is sized exactly, then written front to back into a reused buffer,
// with no per-field objects.
//
// Wire layout (field numbers from proto/; tag = field << 3 | wire type):
//   WriteRequest.timeseries  1, length-delimited  0x0a
//   TimeSeries.labels        1, length-delimited  0x0a
//   TimeSeries.samples       2, length-delimited  0x12
//   Label.name / .value      1 / 2, length-delimited  0x0a / 0x12
//   Sample.value             1, fixed64 (double, little-endian)  0x09
//   Sample.timestamp         2, varint (int64)  0x10
// Sample fields equal to proto3 defaults (0) are written anyway: valid proto3, and the size of a sample then
// depends on its timestamp alone, which keeps encodedSeriesSize() exact and cheap.
import { copyBytes, viewOf } from './byte-copy.js';
import type { Label, SeriesRange, WriteBatch } from './model.js';

const TAG_TIMESERIES = 0x0a;
const TAG_LABELS = 0x0a;
const TAG_SAMPLES = 0x12;
const TAG_LABEL_NAME = 0x0a;
const TAG_LABEL_VALUE = 0x12;
const TAG_SAMPLE_VALUE = 0x09;
const TAG_SAMPLE_TIMESTAMP = 0x10;

/** Staleness marker 0x7ff0000000000002, little-endian. JS arithmetic on NaN would not keep these bits. */
const STALE_NAN_BYTES = [0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0x7f] as const;
/** Prometheus' ordinary NaN 0x7ff8000000000001 (value.NormalNaN), written for every non-stale NaN so that a
 * NaN whose payload happens to equal the stale marker's can never become one. */
const NORMAL_NAN_BYTES = [0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x7f] as const;

const TWO_POW_32 = 2 ** 32;

/** Bytes of an unsigned varint of a non-negative safe integer. */
function varintSize(value: number): number {
  // Comparisons rather than a loop: this runs twice per sample (sizing, then writing) on millisecond timestamps.
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  if (value < 0x800000000) return 5;
  if (value < 0x40000000000) return 6;
  if (value < 0x2000000000000) return 7;
  if (value < 0x100000000000000) return 8;
  return value < 0x8000000000000000 ? 9 : 10;
}

/** Bytes of an int64 varint: negative values take 10 (two's complement, as protobuf encodes int64). */
function int64Size(value: number): number {
  return value < 0 ? 10 : varintSize(value);
}

/** UTF-8 length of a string as Buffer/TextEncoder would write it (a lone surrogate becomes U+FFFD, 3 bytes). */
function utf8Size(text: string): number {
  let size = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      size += 1;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        // A surrogate pair: 2 UTF-16 units, 4 bytes.
        size += 2;
        i++;
      } else {
        size += 2;
      }
    } else {
      size += 2;
    }
  }
  return size;
}

function labelSize(nameBytes: number, valueBytes: number): number {
  return 1 + varintSize(nameBytes) + nameBytes + 1 + varintSize(valueBytes) + valueBytes;
}

function sampleSize(timestampMs: number): number {
  return 1 + 8 + 1 + int64Size(timestampMs);
}

function checkTimestamp(timestampMs: number): void {
  if (!Number.isSafeInteger(timestampMs))
    throw new RangeError(`remote-write timestamp must be an integer of milliseconds, got ${timestampMs}`);
}

/** Encoded bytes of the label fields of one TimeSeries (tags and length prefixes included). */
export function encodedLabelsSize(labels: readonly Label[]): number {
  let size = 0;
  for (const label of labels) {
    const inner = labelSize(utf8Size(label.name), utf8Size(label.value));
    size += 1 + varintSize(inner) + inner;
  }
  return size;
}

/** Encoded bytes of one sample field of a TimeSeries (tag and length prefix included). */
export function encodedSampleSize(timestampMs: number): number {
  const inner = sampleSize(timestampMs);
  return 1 + varintSize(inner) + inner;
}

/**
 * Exact encoded bytes of one series inside a WriteRequest (its tag and length prefix included), given its labels
 * and the timestamps of its samples. For request splitting: the sum over a request's series is the size of the
 * protobuf encodeWriteRequest() returns.
 */
export function encodedSeriesSize(labels: readonly Label[], timestampsMs: Iterable<number>): number {
  let body = encodedLabelsSize(labels);
  for (const timestampMs of timestampsMs) body += encodedSampleSize(timestampMs);
  return 1 + varintSize(body) + body;
}

/**
 * An upper bound of encodedSeriesSize() that needs only a sample count, for timestamps from 1970 to 2109-05-15
 * (0 <= ms < 2^42): every sample is counted with a 6-byte timestamp varint.
 */
export function encodedSeriesSizeBound(labels: readonly Label[], sampleCount: number): number {
  // 1 tag + 1 length + 8 double + 1 tag + 6 varint (2^35 <= ms < 2^42).
  const body = encodedLabelsSize(labels) + sampleCount * (1 + 1 + 1 + 8 + 1 + 6);
  return 1 + varintSize(body) + body;
}

/** Writes an unsigned varint of a non-negative safe integer at `pos`; returns the position after it. Small enough
 * for V8 to inline into the sample loop. */
function putVarint(bytes: Uint8Array, pos: number, value: number): number {
  if (value < TWO_POW_32) {
    while (value > 0x7f) {
      bytes[pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    bytes[pos++] = value;
    return pos;
  }
  // Beyond 32 bits: the low and high words as 32-bit integers, so every step stays in integer arithmetic.
  let lo = value >>> 0;
  let hi = (value - lo) / TWO_POW_32;
  while (hi > 0) {
    bytes[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  while (lo > 0x7f) {
    bytes[pos++] = (lo & 0x7f) | 0x80;
    lo >>>= 7;
  }
  bytes[pos++] = lo;
  return pos;
}

class ByteWriter {
  pos = 0;
  view: DataView;
  /** The array copy() read last, and a view of it: the one-off series of a batch share one arena. */
  private from: Uint8Array | undefined;
  private fromView: DataView | undefined;
  constructor(public bytes: Buffer) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  /** Copies from[start, end) (room reserved), four bytes at a time: a one-off series' labels, about 50 bytes. */
  copy(from: Uint8Array, start: number, end: number): void {
    if (from !== this.from || this.fromView === undefined) {
      this.from = from;
      this.fromView = viewOf(from);
    }
    this.pos = copyBytes(from, this.fromView, start, end, this.bytes, this.view, this.pos);
  }

  /** Makes room for `count` more bytes, doubling the buffer when it must grow. */
  reserve(count: number): void {
    const need = this.pos + count;
    if (need <= this.bytes.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(need, this.bytes.length * 2));
    bigger.set(this.bytes.subarray(0, this.pos));
    this.bytes = bigger;
    this.view = new DataView(bigger.buffer, bigger.byteOffset, bigger.length);
  }

  byte(value: number): void {
    this.bytes[this.pos++] = value;
  }

  varint(value: number): void {
    this.pos = putVarint(this.bytes, this.pos, value);
  }

  int64(value: number): void {
    if (value >= 0) {
      this.varint(value);
      return;
    }
    let bits = BigInt.asUintN(64, BigInt(value));
    for (let i = 0; i < 9; i++) {
      this.bytes[this.pos++] = Number(bits & 0x7fn) | 0x80;
      bits >>= 7n;
    }
    this.bytes[this.pos++] = Number(bits);
  }

  double(value: number, stale: boolean): void {
    if (stale || value !== value) {
      // NaN bits are written byte by byte: a float store may change a NaN's payload.
      const raw = stale ? STALE_NAN_BYTES : NORMAL_NAN_BYTES;
      const bytes = this.bytes;
      for (let i = 0; i < 8; i++) bytes[this.pos + i] = raw[i]!;
    } else {
      this.view.setFloat64(this.pos, value, true);
    }
    this.pos += 8;
  }

  /** Writes a string whose UTF-8 length the caller computed with utf8Size(). */
  string(text: string, byteLength: number): void {
    const bytes = this.bytes;
    if (byteLength === text.length) {
      // ASCII (the common case for label names and most values): one byte per UTF-16 unit.
      let pos = this.pos;
      for (let i = 0; i < text.length; i++) bytes[pos++] = text.charCodeAt(i);
      this.pos = pos;
      return;
    }
    this.pos += bytes.write(text, this.pos, byteLength, 'utf8');
  }
}

/**
 * The label fields of a TimeSeries (tags and length prefixes included). Series identities keep theirs
 * (SeriesIdentity.encodedLabels), so the labels of a series are encoded once, not once per request.
 */
export function encodeLabelFields(labels: readonly Label[]): Uint8Array {
  const sizes: number[] = [];
  let size = 0;
  for (const label of labels) {
    const nameBytes = utf8Size(label.name);
    const valueBytes = utf8Size(label.value);
    sizes.push(nameBytes, valueBytes);
    const inner = labelSize(nameBytes, valueBytes);
    size += 1 + varintSize(inner) + inner;
  }
  // From Buffer's shared pool: small label sets cost no allocation of their own.
  const w = new ByteWriter(Buffer.allocUnsafe(size));
  let s = 0;
  for (const label of labels) {
    const nameBytes = sizes[s++]!;
    const valueBytes = sizes[s++]!;
    w.byte(TAG_LABELS);
    w.varint(labelSize(nameBytes, valueBytes));
    w.byte(TAG_LABEL_NAME);
    w.varint(nameBytes);
    w.string(label.name, nameBytes);
    w.byte(TAG_LABEL_VALUE);
    w.varint(valueBytes);
    w.string(label.value, valueBytes);
  }
  if (w.pos !== size) throw new Error(`remote-write encoder wrote ${w.pos} label bytes, sized ${size}`);
  return w.bytes;
}

/** A first guess at a batch's encoded size: enough for most, so the writer rarely grows while encoding. */
function sizeHint(batch: WriteBatch): number {
  let bytes = 0;
  for (const range of batch.series) bytes += range.fieldsEnd - range.fieldsStart + 8;
  return bytes + batch.sampleCount * 22;
}

/**
 * Encodes requests into one buffer of its own, reused from call to call: a caller that encodes batch after batch
 * (the handler) keeps one encoder, and the buffer stays at the size of the largest request.
 */
export class RequestEncoder {
  private readonly writer = new ByteWriter(Buffer.allocUnsafe(64 * 1024));

  /** The batch as a Remote-Write 1.0 `prometheus.WriteRequest`, as a view valid until the next call. */
  view(batch: WriteBatch): Uint8Array {
    return encodeInto(this.writer, batch);
  }

  /** Like view, but a buffer of its own. */
  encode(batch: WriteBatch): Uint8Array {
    const view = this.view(batch);
    // TypedArray#set is a memcpy; Buffer#copy is several times slower.
    const out = new Uint8Array(view.length);
    out.set(view);
    return Buffer.from(out.buffer, 0, out.length);
  }
}

/** Encodes a batch as a Remote-Write 1.0 `prometheus.WriteRequest`. Labels and samples are written in the order
 * given: sorting and de-duplication are the pipeline's job before this. Returns a buffer of its own. */
export function encodeWriteRequest(batch: WriteBatch): Uint8Array {
  return encodeInto(new ByteWriter(Buffer.allocUnsafe(sizeHint(batch))), batch);
}

/**
 * Like encodeWriteRequest, but through `encoder`'s buffer when given (the result is then a view valid only until
 * the encoder's next call): for a caller that compresses it at once, which saves a copy of every request.
 */
export function encodeWriteRequestView(batch: WriteBatch, encoder?: RequestEncoder): Uint8Array {
  return encoder === undefined ? encodeWriteRequest(batch) : encoder.view(batch);
}

/** Timestamps from 2^35 to 2^42 ms (1971-02-03 to 2109-05-15) take a varint of exactly 6 bytes, so a sample
 * field of such a timestamp is always SIX_BYTE_SAMPLE_FIELD bytes: tag, length, value field, timestamp field. */
const SIX_BYTE_MIN = 2 ** 35;
const SIX_BYTE_END = 2 ** 42;
const SIX_BYTE_SAMPLE = 1 + 8 + 1 + 6;
const SIX_BYTE_SAMPLE_FIELD = 2 + SIX_BYTE_SAMPLE;
/** TAG_SAMPLES, SIX_BYTE_SAMPLE, TAG_SAMPLE_VALUE as the low bytes of a little-endian word. */
const SAMPLE_HEAD = TAG_SAMPLES | (SIX_BYTE_SAMPLE << 8) | (TAG_SAMPLE_VALUE << 16);
const TWO_POW_MINUS_28 = 2 ** -28;

function isSixByteTimestamp(timestampMs: number): boolean {
  return timestampMs >= SIX_BYTE_MIN && timestampMs < SIX_BYTE_END && Math.floor(timestampMs) === timestampMs;
}

function encodeInto(w: ByteWriter, batch: WriteBatch): Uint8Array {
  w.pos = 0;
  const ranges = batch.series;
  for (let r = 0; r < ranges.length; r++) {
    const range = ranges[r]!;
    const start = w.pos;
    // Current timestamps all take 6 bytes, which fixes the series' size before a single look at its samples; a
    // series with any other timestamp is written again, sized sample by sample.
    if (!writeSixByteSeries(w, batch, range)) {
      w.pos = start;
      writeSeries(w, batch, range);
    }
  }
  return w.bytes.subarray(0, w.pos);
}

/** The TimeSeries field up to its labels, for a body of `body` bytes; returns where it ends. */
function writeSeriesHead(w: ByteWriter, range: SeriesRange, body: number): number {
  const size = 1 + varintSize(body) + body;
  w.reserve(size);
  const end = w.pos + size;
  w.byte(TAG_TIMESERIES);
  w.varint(body);
  const { fields, fieldsStart, fieldsEnd } = range;
  if (fieldsStart === 0 && fieldsEnd === fields.length) {
    w.bytes.set(fields, w.pos);
    w.pos += fieldsEnd;
  } else {
    w.copy(fields, fieldsStart, fieldsEnd);
  }
  return end;
}

/** A series of any timestamps (all checked by checkTimestamp), sized exactly before it is written. */
function writeSeries(w: ByteWriter, batch: WriteBatch, range: SeriesRange): void {
  const { timestampMs } = batch.columns;
  let body = range.fieldsEnd - range.fieldsStart;
  for (let k = range.start; k < range.end; k++) {
    const time = timestampMs[k]!;
    checkTimestamp(time);
    body += 2 + sampleSize(time);
  }
  const end = writeSeriesHead(w, range, body);
  writeSamples(w, batch, range);
  if (w.pos !== end)
    throw new Error(`remote-write encoder wrote a series up to ${w.pos}, sized up to ${end}`);
}

/** A series whose timestamps are all isSixByteTimestamp(), in a fixed layout; false (and a partial write) at the
 * first timestamp that is not. */
function writeSixByteSeries(w: ByteWriter, batch: WriteBatch, range: SeriesRange): boolean {
  const { timestampMs, value, stale } = batch.columns;
  const end = writeSeriesHead(
    w,
    range,
    range.fieldsEnd - range.fieldsStart + (range.end - range.start) * SIX_BYTE_SAMPLE_FIELD,
  );
  const bytes = w.bytes;
  const view = w.view;
  let pos = w.pos;
  for (let k = range.start; k < range.end; k++) {
    const time = timestampMs[k]!;
    if (!isSixByteTimestamp(time)) return false;
    // Few wide stores rather than one per byte. The first writes tag, length, value tag and one byte the value
    // then overwrites; the timestamp varint is its low 28 bits spread over 4 bytes, then the rest over 2.
    view.setUint32(pos, SAMPLE_HEAD, true);
    const v = value[k]!;
    if (stale[k] === 1 || v !== v) {
      w.pos = pos + 3;
      w.double(v, stale[k] === 1);
    } else {
      view.setFloat64(pos + 3, v, true);
    }
    bytes[pos + 11] = TAG_SAMPLE_TIMESTAMP;
    const lo = time >>> 0;
    // Bits 28 and up (fewer than 14): an exact scaling by a power of two, truncated once.
    const top = (time * TWO_POW_MINUS_28) >>> 0;
    view.setUint32(
      pos + 12,
      (lo & 0x7f) | ((lo << 1) & 0x7f00) | ((lo << 2) & 0x7f0000) | ((lo << 3) & 0x7f000000) | 0x80808080,
      true,
    );
    view.setUint16(pos + 16, (top & 0x7f) | 0x80 | ((top >>> 7) << 8), true);
    pos += SIX_BYTE_SAMPLE_FIELD;
  }
  w.pos = pos;
  if (pos !== end) throw new Error(`remote-write encoder wrote a series up to ${pos}, sized up to ${end}`);
  return true;
}

/** The sample fields of a range with any timestamps (all checked by checkTimestamp). */
function writeSamples(w: ByteWriter, batch: WriteBatch, range: SeriesRange): void {
  const { timestampMs, value, stale } = batch.columns;
  const bytes = w.bytes;
  const view = w.view;
  let pos = w.pos;
  for (let k = range.start; k < range.end; k++) {
    const time = timestampMs[k]!;
    // The sample message is at most 1 + 8 + 1 + 10 bytes: its length is one byte.
    bytes[pos++] = TAG_SAMPLES;
    bytes[pos++] = sampleSize(time);
    bytes[pos++] = TAG_SAMPLE_VALUE;
    const v = value[k]!;
    if (stale[k] === 1 || v !== v) {
      w.pos = pos;
      w.double(v, stale[k] === 1);
      pos = w.pos;
    } else {
      view.setFloat64(pos, v, true);
      pos += 8;
    }
    bytes[pos++] = TAG_SAMPLE_TIMESTAMP;
    if (time >= 0) {
      pos = putVarint(bytes, pos, time);
    } else {
      w.pos = pos;
      w.int64(time);
      pos = w.pos;
    }
  }
  w.pos = pos;
}
