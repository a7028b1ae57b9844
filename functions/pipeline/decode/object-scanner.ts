// A direct scanner for the bodies nearly every device sends: one Sample or Report object in plain JSON. It reads
// the text in place instead of building it with JSON.parse, so a message costs no objects: labels are returned as
// the range of their JSON text (the caller caches label sets by it), metric names as ranges, and values and
// timestamps as numbers.
//
// It is a fast path only. It accepts a strict subset of what decodeMessage accepts and, for that subset, yields
// exactly the samples decodeMessage would. Anything else (base64, arrays, SenML, escapes, surrogates, numbers
// it cannot convert exactly, repeated keys, string values, RFC 3339 timestamps, invalid JSON, missing fields,
// and fields other than the bridge's own) makes it return false, and the message goes through decodeMessage, which
// accepts it or explains what is wrong.
// test/pipeline/object-scanner.test.ts checks the equivalence on generated bodies.
import { plainStringEnd, readNumber, readTimestamp, sameText, skipWhitespace } from './json-lexer.js';
import type { ScannedObject, ScanMemory } from './scanned-object.js';
import { layoutOfScan, type TemplateLayout } from './template-store.js';

export { ScannedObject, type ScanMemory } from './scanned-object.js';
export { flatCopy, type ScanTemplate, type TemplateLayout } from './template-store.js';

// Which fields a body held, as bits: a repeated key sends the body to the slow path.
const LABELS = 1;
const TIMESTAMP = 2;
const METRICS = 4;
const NAME = 8;
const VALUE = 16;
const OTHER = 32;

/** Metric names per report checked for repeats by direct comparison; beyond, a set keeps the check linear. */
const SHORT_REPORT = 32;
/** Bodies of unknown labels scanned whole before the scanner learns their layout again (a few slices). */
const RELEARN_AFTER = 64;

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
    // Numbers and booleans as label values are left to the slow path.
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

/**
 * Scans Sample and Report bodies into a ScannedObject. One scanner per caller: it keeps small scratch buffers
 * between calls, which is why scans on one scanner must not interleave (they are synchronous).
 */
export class ObjectScanner {
  /** The number the lexer read last: a typed array, since a double returned through a call is boxed. */
  private readonly number = new Float64Array(1);
  /** Where the key fieldAt recognised last ends (its closing quote), -1 when it is not a plain string. */
  private keyEnd = -1;
  /** Where each template segment started in the body read last through a template. */
  private segmentStarts = new Int32Array(16);
  /** The metric names of a long report, for the repeated-name check. */
  private readonly names = new Set<string>();
  /**
   * The layout of a body whose labels memory did not know, and how many such bodies were scanned whole since it
   * was learnt. A fleet too large to cache sends mostly such bodies, all alike but for labels and numbers.
   */
  private layout: TemplateLayout | undefined;
  /** From RELEARN_AFTER - 1, so the first such body teaches a layout; a body without one waits as long. */
  private scannedWhole = RELEARN_AFTER - 1;
  /** Whether the last body read through the layout or a template went through the layout (see scan). */
  private layoutFirst = false;
  // The Sample fields of the body being scanned (a Report keeps its samples in the ScannedObject).
  private sampleNameStart = -1;
  private sampleNameEnd = -1;
  private sampleValueStart = -1;
  private sampleValueEnd = -1;
  private sampleValue = NaN;

  /**
   * Scans `text` as one Sample or Report object into `out`. True when it is one in the fast path's subset: the
   * samples are then out's metric names and values (a Sample gives one), sharing out's labels and timestamp.
   * `memory` lets it recognise labels objects, metric names and templates seen before.
   */
  scan<L, S>(text: string, out: ScannedObject<L, S>, memory?: ScanMemory<L, S>): boolean {
    out.reset();
    // A body is read through a template only when memory knows its labels, through the layout only when it does
    // not, so the order of the two changes nothing but the cost: bodies come in runs of one kind (a cached fleet's,
    // or a fleet too large to cache), and the kind read last is tried first.
    if (this.layoutFirst && this.readLayout(text, out, memory)) return true;
    if (memory !== undefined) {
      const head = memory.templateHead;
      if (head !== '' && text.indexOf(head) === 0 && this.readThroughTemplate(text, out, memory, head)) {
        this.layoutFirst = false;
        return true;
      }
      out.reset();
    }
    if (!this.layoutFirst && this.readLayout(text, out, memory)) {
      this.layoutFirst = true;
      return true;
    }
    const scanned = this.scanObject(text, out, memory);
    // The names of a long report are slices of its body: not kept past the scan.
    if (this.names.size !== 0) this.names.clear();
    if (scanned && out.labels === undefined && ++this.scannedWhole >= RELEARN_AFTER) {
      this.layout = layoutOfScan(text, out);
      this.scannedWhole = 0;
    }
    return scanned;
  }

  /** Reads `text` through the layout, if one is learnt and the text has it; otherwise leaves `out` reset. */
  private readLayout<L, S>(text: string, out: ScannedObject<L, S>, memory?: ScanMemory<L, S>): boolean {
    if (this.layout !== undefined && this.readThroughLayout(text, out, this.layout, memory)) return true;
    out.reset();
    return false;
  }

  /** The field whose key starts at `start` (after its quote), or OTHER; the key's end is left in keyEnd. */
  private fieldAt(text: string, start: number): number {
    // The bridge's own keys are recognised whole, closing quote included, without a character loop.
    switch (text.charCodeAt(start)) {
      case 0x6c /* l */:
        if (text.startsWith('labels"', start)) return this.key(start + 6, LABELS);
        break;
      case 0x6d /* m */:
        if (text.startsWith('metrics"', start)) return this.key(start + 7, METRICS);
        break;
      case 0x74 /* t */:
        if (text.startsWith('timestamp"', start)) return this.key(start + 9, TIMESTAMP);
        break;
      case 0x6e /* n */:
        if (text.startsWith('name"', start)) return this.key(start + 4, NAME);
        break;
      case 0x76 /* v */:
        if (text.startsWith('value"', start)) return this.key(start + 5, VALUE);
        break;
    }
    return this.key(plainStringEnd(text, start), OTHER);
  }

  private key(end: number, field: number): number {
    this.keyEnd = end;
    return field;
  }

  /** The character-by-character scan of the whole object. */
  private scanObject<L, S>(text: string, out: ScannedObject<L, S>, memory?: ScanMemory<L, S>): boolean {
    if (text.charCodeAt(0) !== 0x7b) return false;
    let i = skipWhitespace(text, 1);
    let seen = 0;
    if (text.charCodeAt(i) === 0x7d) return false;
    for (;;) {
      if (text.charCodeAt(i) !== 0x22) return false;
      const field = this.fieldAt(text, i + 1);
      if (this.keyEnd < 0) return false;
      if ((seen & field) !== 0 && field !== OTHER) return false;
      seen |= field;
      i = this.keyEnd + 1;
      if (text.charCodeAt(i) !== 0x3a) {
        i = skipWhitespace(text, i);
        if (text.charCodeAt(i) !== 0x3a) return false;
      }
      i = this.readField(field, text, skipWhitespace(text, i + 1), out, memory);
      if (i < 0) return false;
      i = skipWhitespace(text, i);
      const next = text.charCodeAt(i);
      if (next === 0x7d) break;
      if (next !== 0x2c) return false;
      i = skipWhitespace(text, i + 1);
    }
    // Only whitespace may follow the object.
    if (i + 1 !== text.length && skipWhitespace(text, i + 1) !== text.length) return false;
    return this.finish(seen, out);
  }

  /** Reads the value of one top-level field at `i`; returns the index after it, or -1. */
  private readField<L, S>(
    field: number,
    text: string,
    i: number,
    out: ScannedObject<L, S>,
    memory?: ScanMemory<L, S>,
  ): number {
    const c = text.charCodeAt(i);
    switch (field) {
      case LABELS:
        return c === 0x7b ? this.readLabels(text, i, out, memory) : -1;
      case METRICS:
        return c === 0x7b ? this.scanMetrics(text, i, out, memory) : -1;
      case TIMESTAMP: {
        const end = readTimestamp(text, i, this.number);
        if (end < 0) return -1;
        out.timestampMs = this.number[0]!;
        out.timestampStart = i;
        out.timestampEnd = end;
        return end;
      }
      case NAME: {
        if (c !== 0x22) return -1;
        const end = plainStringEnd(text, i + 1);
        if (end <= i + 1) return -1;
        this.sampleNameStart = i + 1;
        this.sampleNameEnd = end;
        return end + 1;
      }
      case VALUE: {
        const end = readNumber(text, i, this.number);
        const value = this.number[0]!;
        if (end < 0 || value - value !== 0) return -1;
        this.sampleValue = value;
        this.sampleValueStart = i;
        this.sampleValueEnd = end;
        return end;
      }
      default:
        // Any other field is an error decodeMessage names.
        return -1;
    }
  }

  /** Reads the labels object at `i` ('{'), through memory when it recognises the text. */
  private readLabels<L, S>(
    text: string,
    i: number,
    out: ScannedObject<L, S>,
    memory?: ScanMemory<L, S>,
  ): number {
    out.labelsStart = i;
    // Label values hold no '}' unless escaped... or quoted: a candidate end is only trusted when memory
    // recognises the whole text up to it, which then is a labels object that passed the full check before.
    const candidate = text.indexOf('}', i) + 1;
    const labels = candidate > 0 && memory !== undefined ? memory.labelsAt(text, i, candidate) : undefined;
    let end: number;
    if (labels !== undefined) {
      out.labels = labels;
      end = candidate;
    } else {
      end = scanLabels(text, i);
    }
    out.labelsEnd = end;
    return end;
  }

  /** Whether the fields seen make one Sample or one Report; a Sample's one sample is added to `out` here. */
  private finish<L, S>(seen: number, out: ScannedObject<L, S>): boolean {
    const isReport = (seen & METRICS) !== 0;
    const isSample = (seen & (NAME | VALUE)) !== 0;
    if (isReport === isSample) return false;
    if (isSample) {
      if ((seen & (NAME | VALUE)) !== (NAME | VALUE)) return false;
      out.add(
        this.sampleNameStart,
        this.sampleNameEnd,
        this.sampleValue,
        undefined,
        this.sampleValueStart,
        this.sampleValueEnd,
      );
    }
    return out.count > 0;
  }

  /** Scans the metrics object at `start` ('{') into `out`; returns the index after its '}', or -1. */
  private scanMetrics<L, S>(
    text: string,
    start: number,
    out: ScannedObject<L, S>,
    memory?: ScanMemory<L, S>,
  ): number {
    let i = skipWhitespace(text, start + 1);
    // An empty "metrics" is an error the slow path explains.
    for (let position = 0; ; position++) {
      if (text.charCodeAt(i) !== 0x22) return -1;
      const nameStart = i + 1;
      // JSON.parse puts integer-like keys ("1", "42") first, in numeric order, whatever their place in the text;
      // the samples' order decides conflicts, so such names are left to the slow path.
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
      if (this.repeatsName(text, out, nameStart, nameEnd)) return -1;
      i = skipWhitespace(text, nameEnd + 1);
      if (text.charCodeAt(i) !== 0x3a) return -1;
      i = skipWhitespace(text, i + 1);
      const valueEnd = readNumber(text, i, this.number);
      const value = this.number[0]!;
      if (valueEnd < 0 || value - value !== 0) return -1;
      out.add(nameStart, nameEnd, value, series, i, valueEnd);
      i = skipWhitespace(text, valueEnd);
      const c = text.charCodeAt(i);
      if (c === 0x7d) return i + 1;
      if (c !== 0x2c) return -1;
      i = skipWhitespace(text, i + 1);
    }
  }

  /**
   * Whether metric name text[start, end) is one of out's earlier names. Reports are short, so the first names are
   * compared directly; past SHORT_REPORT names a set of them keeps the check linear in the body's size.
   */
  private repeatsName<L, S>(text: string, out: ScannedObject<L, S>, start: number, end: number): boolean {
    const count = out.count;
    if (count < SHORT_REPORT) {
      for (let k = 0; k < count; k++)
        if (sameText(text, out.nameStart[k]!, out.nameEnd[k]!, start, end)) return true;
      return false;
    }
    const names = this.names;
    if (count === SHORT_REPORT) {
      names.clear();
      for (let k = 0; k < count; k++) names.add(text.slice(out.nameStart[k]!, out.nameEnd[k]!));
    }
    const name = text.slice(start, end);
    if (names.has(name)) return true;
    names.add(name);
    return false;
  }

  /**
   * Reads `text` through the template of its label set, if it has one and the text matches it. The labels object
   * follows `head`; whatever the scan would check is either equal to text the template's body passed with, or a
   * number read by the same function the scan uses.
   */
  private readThroughTemplate<L, S>(
    text: string,
    out: ScannedObject<L, S>,
    memory: ScanMemory<L, S>,
    head: string,
  ): boolean {
    const labelsStart = head.length;
    const labelsEnd = text.indexOf('}', labelsStart) + 1;
    if (labelsEnd === 0) return false;
    const labels = memory.labelsAt(text, labelsStart, labelsEnd);
    if (labels === undefined) return false;
    const template = memory.templateOf(labels);
    if (template === undefined || template.layout.head !== head) return false;
    if (!this.matchLayout(text, labelsEnd, template.layout, out)) return false;
    out.labels = labels;
    out.labelsStart = labelsStart;
    out.labelsEnd = labelsEnd;
    out.viaTemplate = true;
    out.ids = template.ids;
    this.placeNames(template.layout, out, template.series);
    return true;
  }

  /**
   * Reads `text` through the layout learnt from a body of unknown labels: its labels object is checked in full
   * (memory must not know it: the scan would then take the labels memory gives), the rest compared with the
   * layout. What the scan would check there is equal to text a scanned body passed with, or a number read by the
   * same function the scan uses; `out` is left as the scan leaves it.
   */
  private readThroughLayout<L, S>(
    text: string,
    out: ScannedObject<L, S>,
    layout: TemplateLayout,
    memory?: ScanMemory<L, S>,
  ): boolean {
    const labelsStart = layout.head.length;
    if (text.charCodeAt(labelsStart) !== 0x7b || !text.startsWith(layout.head)) return false;
    // A fleet too large to cache sends labels objects of one layout: memory may know where this one ends.
    const known = memory?.labelsEnd?.(text, labelsStart) ?? -1;
    const candidate = known >= 0 ? known : text.indexOf('}', labelsStart) + 1;
    if (memory !== undefined && candidate > 0 && memory.labelsAt(text, labelsStart, candidate) !== undefined)
      return false;
    const labelsEnd = known >= 0 ? known : scanLabels(text, labelsStart);
    if (labelsEnd < 0) return false;
    if (!this.matchLayout(text, labelsEnd, layout, out)) return false;
    const { segments, holes } = layout;
    out.labelsStart = labelsStart;
    out.labelsEnd = labelsEnd;
    const segmentStarts = this.segmentStarts;
    for (let h = 0; h < holes.length; h++) {
      const start = segmentStarts[h]! + segments[h]!.length;
      const end = segmentStarts[h + 1]!;
      if (holes[h]! < 0) {
        out.timestampStart = start;
        out.timestampEnd = end;
      } else {
        out.valueStart[holes[h]!] = start;
        out.valueEnd[holes[h]!] = end;
      }
    }
    this.placeNames(layout, out);
    return true;
  }

  /**
   * Sets out's samples to the layout's metric names, found in the segments just matched, with `series` (one per
   * name) or none.
   */
  private placeNames<L, S>(layout: TemplateLayout, out: ScannedObject<L, S>, series?: readonly S[]): void {
    const { nameSegment, nameOffset, nameLength } = layout;
    const segmentStarts = this.segmentStarts;
    for (let i = 0; i < nameSegment.length; i++) {
      const start = segmentStarts[nameSegment[i]!]! + nameOffset[i]!;
      out.nameStart[i] = start;
      out.nameEnd[i] = start + nameLength[i]!;
      out.series[i] = series?.[i];
    }
    out.count = nameSegment.length;
  }

  /** Makes room in `out` and the segment starts for `layout`, then compares the text after the labels with it. */
  private matchLayout<L, S>(
    text: string,
    labelsEnd: number,
    layout: TemplateLayout,
    out: ScannedObject<L, S>,
  ): boolean {
    const { segments, holes } = layout;
    out.reserve(Math.max(holes.length, layout.nameSegment.length));
    if (this.segmentStarts.length <= segments.length)
      this.segmentStarts = new Int32Array(segments.length * 2);
    return this.matchSegments(text, labelsEnd, segments, holes, out);
  }

  /** Compares the text from `at` with the template's segments, reading the numbers between them into `out`. */
  private matchSegments<L, S>(
    text: string,
    from: number,
    segments: readonly string[],
    holes: readonly number[],
    out: ScannedObject<L, S>,
  ): boolean {
    const segmentStarts = this.segmentStarts;
    // Written in place rather than through add(): a double passed to a call V8 does not inline is boxed.
    const values = out.values;
    let at = from;
    for (let h = 0; h < holes.length; h++) {
      const segment = segments[h]!;
      // indexOf finding it right here is the fastest exact comparison V8 offers: startsWith runs character by
      // character, and comparing a slice allocates.
      if (text.indexOf(segment, at) !== at) return false;
      segmentStarts[h] = at;
      at += segment.length;
      const hole = holes[h]!;
      const end = hole < 0 ? readTimestamp(text, at, this.number) : readNumber(text, at, this.number);
      const value = this.number[0]!;
      if (end < 0) return false;
      if (hole < 0) {
        out.timestampMs = value;
      } else {
        if (value - value !== 0) return false;
        values[hole] = value;
      }
      at = end;
    }
    const last = segments[holes.length]!;
    if (at + last.length !== text.length || text.indexOf(last, at) !== at) return false;
    segmentStarts[holes.length] = at;
    return true;
  }
}

/** Scans `text` with a scanner of its own, without memory: for tests and tools that scan one body. */
export function scanObjectBody<L, S>(
  text: string,
  out: ScannedObject<L, S>,
  memory?: ScanMemory<L, S>,
): boolean {
  return new ObjectScanner().scan(text, out, memory);
}
