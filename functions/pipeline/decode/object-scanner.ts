// A direct scanner for the bodies nearly every device sends: one Sample or Report object in plain JSON. It reads
// the text in place instead of building it with JSON.parse, so a message costs no objects: labels are returned as
// the range of their JSON text (the normaliser caches label sets by it), metric names as ranges, and values and
// timestamps as numbers.
//
// It is a fast path only. It accepts a strict subset of what decodeMessage accepts and, for that subset, yields
// exactly the samples decodeMessage would. Anything else (base64, arrays, SenML, escapes, surrogates, numbers
// it cannot convert exactly, repeated keys, string values, RFC 3339 timestamps, invalid JSON, missing fields)
// makes it return false, and the message goes through decodeMessage, which accepts it or explains what is wrong.
// test/pipeline/object-scanner.test.ts checks the equivalence on generated bodies.
import { grown } from '../grow.js';
import { MAX_TIMESTAMP_MS } from './timestamp.js';

/** 10^k for the fractions the fast number path handles: exact doubles up to 10^22. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** Digits a double holds exactly (10^15 < 2^53): a mantissa of at most this many digits is an exact integer. */
const MAX_EXACT_DIGITS = 15;
const NESTING_LIMIT = 32;

/**
 * What the caller already knows from earlier bodies, so the scan can recognise text instead of checking it
 * character by character. Whatever it returns stands for text that passed a full check before.
 */
export interface ScanMemory<L, S> {
  /** The label set whose labels object is exactly text[start, end), if one was seen before. */
  labelsAt(text: string, start: number, end: number): L | undefined;
  /** The metric name last seen at `position` of the metrics of bodies with these labels, and its series. */
  nameAt(labels: L, position: number): { readonly name: string; readonly series: S } | undefined;
  /** The template learnt from a body with these labels (learnTemplate), if any. */
  templateOf(labels: L): ScanTemplate<S> | undefined;
}

/**
 * A body's text around its numbers, learnt from one body of a label set. A device sends the same fields in the
 * same order with the same names every time; only the timestamp and the values change. A later body with these
 * labels that equals the template but for its numbers holds the same fields, names and series, so it is read by
 * comparing a few runs of text instead of checking every character again.
 */
export interface ScanTemplate<S> {
  readonly layout: TemplateLayout;
  /** Sample i's series. */
  readonly series: readonly S[];
}

/**
 * The label-independent part of a template, shared by every label set whose bodies look alike: a fleet has a few
 * layouts and thousands of devices, and one shared copy stays in the CPU cache where thousands would not (the
 * bench measured per-device copies at twice the cost).
 */
export interface TemplateLayout {
  /** The text before the labels object, e.g. `{"labels":`. */
  readonly head: string;
  /** The text after the labels object, cut at the numbers: segments[0], number 0, segments[1], …, the last. */
  readonly segments: readonly string[];
  /** What number h holds: -1 the timestamp, i >= 0 the value of sample i. */
  readonly holes: readonly number[];
  /** Sample i's name is at nameOffset[i] of segments[nameSegment[i]], nameLength[i] long. */
  readonly nameSegment: readonly number[];
  readonly nameOffset: readonly number[];
  readonly nameLength: readonly number[];
}

/** Layouts by their text; bounded, since a layout is as varied as the bodies' unknown fields may be. */
const layouts = new Map<string, TemplateLayout>();
const MAX_LAYOUTS = 1000;

/** What a scan found; reused from message to message, so nothing is allocated per message. */
export class ScannedObject<L = unknown, S = unknown> {
  /** The JSON text of the `labels` object, [labelsStart, labelsEnd); -1 when the body has no labels. */
  labelsStart = -1;
  labelsEnd = -1;
  /** The label set ScanMemory recognised, if it did. */
  labels: L | undefined = undefined;
  /** For each sample, the series ScanMemory recognised by its name, if it did. */
  series: Array<S | undefined> = [];
  /** Whether the body was read through a template (learnTemplate) rather than scanned character by character. */
  viaTemplate = false;
  /** NaN when the body has no timestamp. */
  timestampMs = NaN;
  /** Where the timestamp's number starts and ends in the text (-1: none). */
  timestampStart = -1;
  timestampEnd = -1;
  /** Where each sample's value starts and ends in the text. */
  valueStart = new Int32Array(16);
  valueEnd = new Int32Array(16);
  /** Samples found: metric name i is text[nameStart[i], nameEnd[i]) (without quotes), its value values[i]. */
  count = 0;
  nameStart = new Int32Array(16);
  nameEnd = new Int32Array(16);
  values = new Float64Array(16);

  reset(): void {
    this.labelsStart = -1;
    this.labelsEnd = -1;
    this.labels = undefined;
    this.timestampMs = NaN;
    this.timestampStart = -1;
    this.timestampEnd = -1;
    this.viaTemplate = false;
    this.count = 0;
  }

  /** Makes room for `size` samples. */
  reserve(size: number): void {
    if (size <= this.nameStart.length) return;
    this.valueStart = grown(this.valueStart, size);
    this.valueEnd = grown(this.valueEnd, size);
    this.nameStart = grown(this.nameStart, size);
    this.nameEnd = grown(this.nameEnd, size);
    this.values = grown(this.values, size);
  }

  add(
    start: number,
    end: number,
    value: number,
    series: S | undefined,
    valueStart = -1,
    valueEnd = -1,
  ): void {
    const i = this.count;
    this.series[i] = series;
    this.reserve(i + 1);
    this.nameStart[i] = start;
    this.nameEnd[i] = end;
    this.values[i] = value;
    this.valueStart[i] = valueStart;
    this.valueEnd[i] = valueEnd;
    this.count = i + 1;
  }
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Scans a string whose opening quote is at `start - 1`; returns the index of its closing quote, or -1 for a
 * string the fast path leaves to JSON.parse (escapes, control characters, surrogates) or an unterminated one. */
function plainStringEnd(text: string, start: number): number {
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i;
    if (c === 0x5c || c < 0x20 || (c >= 0xd800 && c <= 0xdfff)) return -1;
  }
  return -1;
}

/**
 * The value readNumber read last. A typed array rather than a return value: a double returned from a call V8
 * does not inline is boxed, one allocation per number (bench allocation profile).
 */
const numberOut = new Float64Array(1);

/**
 * Reads a JSON number at `start` (grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?) into numberOut[0] and
 * returns the index after it, or -1 when it is not a JSON number. A literal beyond float64 reads as ±Infinity,
 * as in JSON.parse; callers that need a finite value check. Up to 15 significant digits without exponent are
 * converted by one exact division (correctly rounded, so equal to JSON.parse); anything longer goes through
 * Number(), which rounds like JSON.parse.
 */
function readNumber(text: string, start: number): number {
  let i = start;
  let c = text.charCodeAt(i);
  const negative = c === 0x2d;
  if (negative) c = text.charCodeAt(++i);
  let mantissa = 0;
  let digits = 0;
  if (c === 0x30) {
    c = text.charCodeAt(++i);
    digits = 1;
  } else if (c >= 0x31 && c <= 0x39) {
    do {
      mantissa = mantissa * 10 + (c - 0x30);
      digits++;
      c = text.charCodeAt(++i);
    } while (c >= 0x30 && c <= 0x39);
  } else {
    return -1;
  }
  let fraction = 0;
  if (c === 0x2e) {
    c = text.charCodeAt(++i);
    if (!(c >= 0x30 && c <= 0x39)) return -1;
    do {
      mantissa = mantissa * 10 + (c - 0x30);
      digits++;
      fraction++;
      c = text.charCodeAt(++i);
    } while (c >= 0x30 && c <= 0x39);
  }
  let exact = digits <= MAX_EXACT_DIGITS;
  if (c === 0x65 || c === 0x45) {
    exact = false;
    c = text.charCodeAt(++i);
    if (c === 0x2b || c === 0x2d) c = text.charCodeAt(++i);
    if (!(c >= 0x30 && c <= 0x39)) return -1;
    do c = text.charCodeAt(++i);
    while (c >= 0x30 && c <= 0x39);
  }
  let value: number;
  if (exact) {
    value = fraction === 0 ? mantissa : mantissa / POWERS_OF_TEN[fraction]!;
    if (negative) value = -value;
  } else {
    value = Number(text.slice(start, i));
  }
  numberOut[0] = value;
  return i;
}

/** Skips a JSON value of a field the bridge ignores (IoT rule SQL may add any); -1 if it is not valid JSON. */
function skipValue(text: string, start: number, depth: number): number {
  if (depth > NESTING_LIMIT) return -1;
  let i = start;
  const c = text.charCodeAt(i);
  if (c === 0x22) return skipString(text, i + 1);
  if (c === 0x7b || c === 0x5b) {
    const close = c === 0x7b ? 0x7d : 0x5d;
    i = skipWhitespace(text, i + 1);
    if (text.charCodeAt(i) === close) return i + 1;
    for (;;) {
      if (close === 0x7d) {
        if (text.charCodeAt(i) !== 0x22) return -1;
        i = skipString(text, i + 1);
        if (i < 0) return -1;
        i = skipWhitespace(text, i);
        if (text.charCodeAt(i) !== 0x3a) return -1;
        i = skipWhitespace(text, i + 1);
      }
      i = skipValue(text, i, depth + 1);
      if (i < 0) return -1;
      i = skipWhitespace(text, i);
      const next = text.charCodeAt(i);
      if (next === close) return i + 1;
      if (next !== 0x2c) return -1;
      i = skipWhitespace(text, i + 1);
    }
  }
  if (text.startsWith('true', i)) return i + 4;
  if (text.startsWith('false', i)) return i + 5;
  if (text.startsWith('null', i)) return i + 4;
  // An ignored number is only checked for its grammar; its value does not matter, even beyond float64.
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
    return readNumber(text, i);
  }
  return -1;
}

/** Skips a string of any content after its opening quote; -1 if it is not a valid JSON string. */
function skipString(text: string, start: number): number {
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) return -1;
    if (c === 0x5c) {
      const e = text.charCodeAt(++i);
      if (e === 0x75) {
        for (let k = 1; k <= 4; k++) {
          const h = text.charCodeAt(i + k);
          const hex = (h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66);
          if (!hex) return -1;
        }
        i += 4;
      } else if (
        e !== 0x22 &&
        e !== 0x5c &&
        e !== 0x2f &&
        e !== 0x62 &&
        e !== 0x66 &&
        e !== 0x6e &&
        e !== 0x72 &&
        e !== 0x74
      ) {
        return -1;
      }
    }
  }
  return -1;
}

function skipWhitespace(text: string, start: number): number {
  let i = start;
  while (isWhitespace(text.charCodeAt(i))) i++;
  return i;
}

/** True when text[a0, a1) and text[b0, b1) hold the same characters. */
function sameText(text: string, a0: number, a1: number, b0: number, b1: number): boolean {
  if (a1 - a0 !== b1 - b0) return false;
  for (let k = 0; k < a1 - a0; k++) if (text.charCodeAt(a0 + k) !== text.charCodeAt(b0 + k)) return false;
  return true;
}

/** Scans the labels object at `start` ('{'); returns the index after its '}', or -1. Values must be strings. */
function scanLabels(text: string, start: number): number {
  let i = skipWhitespace(text, start + 1);
  if (text.charCodeAt(i) === 0x7d) return i + 1;
  for (;;) {
    if (text.charCodeAt(i) !== 0x22) return -1;
    const keyEnd = plainStringEnd(text, i + 1);
    // An empty label name is an error even with an empty value, which the normaliser would just drop.
    if (keyEnd <= i + 1) return -1;
    i = skipWhitespace(text, keyEnd + 1);
    if (text.charCodeAt(i) !== 0x3a) return -1;
    i = skipWhitespace(text, i + 1);
    // Numbers and booleans as label values are converted to text by the slow path.
    if (text.charCodeAt(i) !== 0x22) return -1;
    const valueEnd = plainStringEnd(text, i + 1);
    if (valueEnd < 0) return -1;
    i = skipWhitespace(text, valueEnd + 1);
    const c = text.charCodeAt(i);
    if (c === 0x7d) return i + 1;
    if (c !== 0x2c) return -1;
    i = skipWhitespace(text, i + 1);
  }
}

/** Scans the metrics object at `start` ('{') into `out`; returns the index after its '}', or -1. */
function scanMetrics<L, S>(
  text: string,
  start: number,
  out: ScannedObject<L, S>,
  memory?: ScanMemory<L, S>,
): number {
  let i = start + 1;
  if (isWhitespace(text.charCodeAt(i))) i = skipWhitespace(text, i);
  // An empty "metrics" is an error the slow path explains.
  for (let position = 0; ; position++) {
    if (text.charCodeAt(i) !== 0x22) return -1;
    const nameStart = i + 1;
    // JSON.parse puts integer-like keys ("1", "42") first, in numeric order, whatever their place in the text; the
    // samples' order decides conflicts, so such names are left to the slow path.
    const firstChar = text.charCodeAt(nameStart);
    if (firstChar >= 0x30 && firstChar <= 0x39) return -1;
    let nameEnd = -1;
    let series: S | undefined;
    // A name spelled like the one this device sent at this position before is known to be a plain string.
    const known =
      out.labels === undefined || memory === undefined ? undefined : memory.nameAt(out.labels, position);
    if (
      known !== undefined &&
      text.charCodeAt(nameStart + known.name.length) === 0x22 &&
      text.startsWith(known.name, nameStart)
    ) {
      nameEnd = nameStart + known.name.length;
      series = known.series;
    } else {
      nameEnd = plainStringEnd(text, nameStart);
      if (nameEnd <= nameStart) return -1;
    }
    // JSON.parse keeps the last of repeated keys; the fast path leaves such bodies to it.
    for (let k = 0; k < out.count; k++)
      if (sameText(text, out.nameStart[k]!, out.nameEnd[k]!, nameStart, nameEnd)) return -1;
    i = nameEnd + 1;
    if (text.charCodeAt(i) !== 0x3a) {
      i = skipWhitespace(text, i);
      if (text.charCodeAt(i) !== 0x3a) return -1;
    }
    i++;
    if (isWhitespace(text.charCodeAt(i))) i = skipWhitespace(text, i);
    const valueEnd = readNumber(text, i);
    const value = numberOut[0]!;
    if (valueEnd < 0 || value - value !== 0) return -1;
    out.add(nameStart, nameEnd, value, series, i, valueEnd);
    i = valueEnd;
    let c = text.charCodeAt(i);
    if (isWhitespace(c)) {
      i = skipWhitespace(text, i);
      c = text.charCodeAt(i);
    }
    if (c === 0x7d) return i + 1;
    if (c !== 0x2c) return -1;
    i++;
    if (isWhitespace(text.charCodeAt(i))) i = skipWhitespace(text, i);
  }
}

/**
 * The value readTimestamp read last. A typed array rather than a return value: a double returned from a call V8
 * does not inline is boxed, one allocation per message (bench allocation profile).
 */
const timestampOut = new Float64Array(1);

/**
 * Reads an integer timestamp in milliseconds at `start` into timestampOut[0]; returns the index after it, or -1
 * for anything the fast path leaves to the slow one.
 */
function readTimestamp(text: string, start: number): number {
  let i = start;
  let value = 0;
  let c = text.charCodeAt(i);
  if (c === 0x30) {
    c = text.charCodeAt(i + 1);
    if (c === 0x2e || c === 0x65 || c === 0x45 || (c >= 0x30 && c <= 0x39)) return -1;
    timestampOut[0] = 0;
    return i + 1;
  }
  if (!(c >= 0x31 && c <= 0x39)) return -1;
  do {
    value = value * 10 + (c - 0x30);
    c = text.charCodeAt(++i);
  } while (c >= 0x30 && c <= 0x39 && i - start < 16);
  if (c === 0x2e || c === 0x65 || c === 0x45 || (c >= 0x30 && c <= 0x39)) return -1;
  if (value > MAX_TIMESTAMP_MS) return -1;
  timestampOut[0] = value;
  return i;
}

// Which fields a body held, as bits: a repeated key sends the body to the slow path.
const LABELS = 1;
const TIMESTAMP = 2;
const METRICS = 4;
const NAME = 8;
const VALUE = 16;
const OTHER = 32;

/** The field whose key starts at `start` (after its quote), or OTHER; the key's end is left in keyEnd. */
let keyEnd = -1;
function fieldAt(text: string, start: number): number {
  // The bridge's own keys are recognised whole, closing quote included, without a character loop.
  switch (text.charCodeAt(start)) {
    case 0x6c /* l */:
      if (text.startsWith('labels"', start)) return ((keyEnd = start + 6), LABELS);
      break;
    case 0x6d /* m */:
      if (text.startsWith('metrics"', start)) return ((keyEnd = start + 7), METRICS);
      break;
    case 0x74 /* t */:
      if (text.startsWith('timestamp"', start)) return ((keyEnd = start + 9), TIMESTAMP);
      break;
    case 0x6e /* n */:
      if (text.startsWith('name"', start)) return ((keyEnd = start + 4), NAME);
      break;
    case 0x76 /* v */:
      if (text.startsWith('value"', start)) return ((keyEnd = start + 5), VALUE);
      break;
  }
  keyEnd = plainStringEnd(text, start);
  return OTHER;
}

/**
 * Scans `text` as one Sample or Report object into `out`. True when it is one in the fast path's subset: the
 * samples are then out's metric names and values (a Sample gives one), sharing out's labels and timestamp.
 * `memory` lets it recognise labels objects and metric names seen before instead of checking them again.
 */
export function scanObjectBody<L, S>(
  text: string,
  out: ScannedObject<L, S>,
  memory?: ScanMemory<L, S>,
): boolean {
  out.reset();
  if (
    memory !== undefined &&
    lastHead !== '' &&
    text.indexOf(lastHead) === 0 &&
    matchTemplate(text, out, memory)
  )
    return true;
  out.reset();
  if (text.charCodeAt(0) !== 0x7b) return false;
  let i = 1;
  if (isWhitespace(text.charCodeAt(i))) i = skipWhitespace(text, i);
  let seen = 0;
  let sampleValue = NaN;
  let nameStart = -1;
  let nameEnd = -1;
  let valueStart = -1;
  let valueEnd = -1;
  if (text.charCodeAt(i) === 0x7d) return false;
  for (;;) {
    if (text.charCodeAt(i) !== 0x22) return false;
    const field = fieldAt(text, i + 1);
    if (keyEnd < 0) return false;
    if ((seen & field) !== 0 && field !== OTHER) return false;
    seen |= field;
    i = keyEnd + 1;
    if (text.charCodeAt(i) !== 0x3a) {
      i = skipWhitespace(text, i);
      if (text.charCodeAt(i) !== 0x3a) return false;
    }
    i++;
    if (isWhitespace(text.charCodeAt(i))) i = skipWhitespace(text, i);
    const c = text.charCodeAt(i);
    switch (field) {
      case LABELS: {
        if (c !== 0x7b) return false;
        out.labelsStart = i;
        // Label values hold no '}' unless escaped... or quoted: a candidate end is only trusted when memory
        // recognises the whole text up to it, which then is a labels object that passed the full check before.
        const candidate = text.indexOf('}', i) + 1;
        const labels =
          candidate > 0 && memory !== undefined ? memory.labelsAt(text, i, candidate) : undefined;
        if (labels !== undefined) {
          out.labels = labels;
          i = candidate;
        } else {
          i = scanLabels(text, i);
        }
        out.labelsEnd = i;
        break;
      }
      case METRICS:
        if (c !== 0x7b) return false;
        i = scanMetrics(text, i, out, memory);
        break;
      case TIMESTAMP: {
        const end = readTimestamp(text, i);
        if (end < 0) return false;
        out.timestampMs = timestampOut[0]!;
        out.timestampStart = i;
        out.timestampEnd = end;
        i = end;
        break;
      }
      case NAME:
        if (c !== 0x22) return false;
        nameStart = i + 1;
        nameEnd = plainStringEnd(text, nameStart);
        if (nameEnd <= nameStart) return false;
        i = nameEnd + 1;
        break;
      case VALUE:
        valueEnd = readNumber(text, i);
        sampleValue = numberOut[0]!;
        if (valueEnd < 0 || sampleValue - sampleValue !== 0) return false;
        valueStart = i;
        i = valueEnd;
        break;
      default:
        i = skipValue(text, i, 0);
    }
    if (i < 0) return false;
    let next = text.charCodeAt(i);
    if (isWhitespace(next)) {
      i = skipWhitespace(text, i);
      next = text.charCodeAt(i);
    }
    if (next === 0x7d) break;
    if (next !== 0x2c) return false;
    i++;
    if (isWhitespace(text.charCodeAt(i))) i = skipWhitespace(text, i);
  }
  // Only whitespace may follow the object.
  if (i + 1 !== text.length && skipWhitespace(text, i + 1) !== text.length) return false;
  const isReport = (seen & METRICS) !== 0;
  const isSample = (seen & (NAME | VALUE)) !== 0;
  if (isReport === isSample) return false;
  if (isSample) {
    if ((seen & (NAME | VALUE)) !== (NAME | VALUE)) return false;
    out.add(nameStart, nameEnd, sampleValue, undefined, valueStart, valueEnd);
  }
  return out.count > 0;
}

/** The head of the template learnt last: nearly every device's bodies start the same way. */
let lastHead = '';

/**
 * Reads `text` through the template of its label set, if it has one and the text matches it. The labels object
 * follows lastHead; whatever the scan would check is either equal to text the template's body passed with,
 * or a number read by the same function the scan uses.
 */
function matchTemplate<L, S>(text: string, out: ScannedObject<L, S>, memory: ScanMemory<L, S>): boolean {
  const labelsStart = lastHead.length;
  const labelsEnd = text.indexOf('}', labelsStart) + 1;
  if (labelsEnd === 0) return false;
  const labels = memory.labelsAt(text, labelsStart, labelsEnd);
  if (labels === undefined) return false;
  const template = memory.templateOf(labels);
  if (template === undefined) return false;
  const layout = template.layout;
  if (layout.head !== lastHead) return false;
  const { segments, holes } = layout;
  out.reserve(holes.length);
  const values = out.values;
  const segmentStarts =
    scratchStarts.length > segments.length
      ? scratchStarts
      : (scratchStarts = new Int32Array(segments.length * 2));
  let at = labelsEnd;
  for (let h = 0; h < holes.length; h++) {
    const segment = segments[h]!;
    // indexOf finding it right here is the fastest exact comparison V8 offers: startsWith runs character by
    // character, and a slice compared whole allocates (bench: startsWith 5.1, slice 3.7, indexOf 3.2 ms per 10,000).
    if (text.indexOf(segment, at) !== at) return false;
    segmentStarts[h] = at;
    at += segment.length;
    const hole = holes[h]!;
    if (hole < 0) {
      const end = readTimestamp(text, at);
      if (end < 0) return false;
      out.timestampMs = timestampOut[0]!;
      at = end;
    } else {
      const end = readNumber(text, at);
      const value = numberOut[0]!;
      if (end < 0 || value - value !== 0) return false;
      values[hole] = value;
      at = end;
    }
  }
  const last = segments[holes.length]!;
  if (at + last.length !== text.length || text.indexOf(last, at) !== at) return false;
  segmentStarts[holes.length] = at;
  out.labels = labels;
  out.labelsStart = labelsStart;
  out.labelsEnd = labelsEnd;
  out.viaTemplate = true;
  const { nameSegment, nameOffset, nameLength } = layout;
  const series = template.series;
  // Written in place rather than through add(): a double passed to a call V8 does not inline is boxed.
  const { nameStart, nameEnd } = out;
  for (let i = 0; i < series.length; i++) {
    const start = segmentStarts[nameSegment[i]!]! + nameOffset[i]!;
    nameStart[i] = start;
    nameEnd[i] = start + nameLength[i]!;
    out.series[i] = series[i];
  }
  out.count = series.length;
  return true;
}

let scratchStarts = new Int32Array(16);

/**
 * A flat copy of a slice. V8 may keep a slice as a view into the whole body, which would keep that body alive
 * and makes every startsWith against it several times slower. Scanned text holds no lone surrogates, so the
 * UTF-8 round trip returns it unchanged.
 */
export function flatCopy(slice: string): string {
  return Buffer.from(slice, 'utf8').toString('utf8');
}

/**
 * The template of a body the scan accepted, whose samples turned out to belong to `series` (one per sample, in
 * order); undefined for a body without labels. Also makes its head the one scans try first.
 */
export function learnTemplate<L, S>(
  text: string,
  out: ScannedObject<L, S>,
  series: readonly S[],
): ScanTemplate<S> | undefined {
  // `series` may be a scratch array longer than this body's samples: the first out.count are its own.
  if (out.labelsStart < 0 || series.length < out.count) return undefined;
  // The numbers after the labels object, in text order: the timestamp (-1) and each sample's value.
  const holes: Array<{ start: number; end: number; hole: number }> = [];
  if (out.timestampStart >= 0) {
    if (out.timestampStart < out.labelsEnd) return undefined;
    holes.push({ start: out.timestampStart, end: out.timestampEnd, hole: -1 });
  }
  for (let i = 0; i < out.count; i++) {
    if (out.valueStart[i]! < out.labelsEnd) return undefined;
    holes.push({ start: out.valueStart[i]!, end: out.valueEnd[i]!, hole: i });
  }
  holes.sort((a, b) => a.start - b.start);
  const segments: string[] = [];
  const segmentStart: number[] = [];
  let at = out.labelsEnd;
  for (const { start, end } of holes) {
    segmentStart.push(at);
    segments.push(flatCopy(text.slice(at, start)));
    at = end;
  }
  segmentStart.push(at);
  segments.push(flatCopy(text.slice(at)));
  const nameSegment: number[] = [];
  const nameOffset: number[] = [];
  const nameLength: number[] = [];
  for (let i = 0; i < out.count; i++) {
    const start = out.nameStart[i]!;
    const end = out.nameEnd[i]!;
    let k = segmentStart.length - 1;
    while (k > 0 && segmentStart[k]! > start) k--;
    // A name lies inside one segment (names are never numbers); anything else is no template.
    if (start < out.labelsEnd || end > segmentStart[k]! + segments[k]!.length) return undefined;
    nameSegment.push(k);
    nameOffset.push(start - segmentStart[k]!);
    nameLength.push(end - start);
  }
  const head = flatCopy(text.slice(0, out.labelsStart));
  const holeKinds = holes.map((h) => h.hole);
  const key = JSON.stringify([head, segments, holeKinds, nameSegment, nameOffset, nameLength]);
  let layout = layouts.get(key);
  if (layout === undefined) {
    if (layouts.size >= MAX_LAYOUTS) layouts.clear();
    layout = { head, segments, holes: holeKinds, nameSegment, nameOffset, nameLength };
    layouts.set(key, layout);
  }
  lastHead = layout.head;
  return { layout, series: series.slice(0, out.count) };
}
