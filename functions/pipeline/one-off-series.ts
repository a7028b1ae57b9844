// Series of label sets the series cache does not hold, made for one batch only. In a fleet larger than the cache
// most devices are met once before they would be forgotten, so interning them (label objects, a key, a label set
// and series objects kept until the next batch) was work and garbage for nothing. Here a scanned labels object is
// checked, sorted and encoded straight from the body's text into one byte arena: a series is a range of bytes and
// a hash, no object. A labels text met again in the batch reuses its series (see useLabels). The same label set
// met here and in the cache (another spelling) is merged by its bytes when the batch is grouped (series.ts):
// encoded label fields are canonical, so equal bytes are equal sets.
//
// A fast path only: anything it does not take exactly as LabelRules would (a name to sanitise, an over-long value,
// a repeated key, too many labels) makes it decline, and the message goes the cache's way, which explains errors.
import { copyBytes, viewOf } from './byte-copy.js';
import type { PipelineConfig, PipelineLimits } from './config.js';
import { grown } from './grow.js';
import {
  fieldsHash,
  HashFactors,
  nameFieldSize,
  putNameField,
  putVarint,
  sameBytes,
  TAG_LABEL_NAME,
  TAG_LABEL_VALUE,
  TAG_LABELS,
  varintSize,
} from './label-fields.js';
import { prepareExtraLabels } from './label-rules.js';
import type { Label } from './model.js';
import { LabelsShape, type ShapeSlot } from './labels-shape.js';
import { isValidLabelName, isValidMetricNameAt } from './names.js';
import { RECENT_NAME_POSITIONS, RecentNameFields } from './recent-name-fields.js';
import { TextIndex } from './text-index.js';

/** Labels of one set (configured ones included) taken here at most; larger sets go the cache's way. */
const MAX_LABELS = 16;
/** Room for a labels object's keys (MAX_LABELS at most) and the configured labels before empty ones drop. */
const LABEL_SLOTS = 2 * MAX_LABELS;
/** Label names remembered at most, so a flood of distinct names cannot grow a warm Lambda's memory. */
const NAMES_LIMIT = 10_000;
/** Labels objects taken the general way before the layout is learnt again (learning costs a few slices). */
const RELEARN_AFTER = 64;

/** UTF-8 bytes of text[start, end), or -1 when it holds a surrogate (putUtf8 writes no 4-byte sequences). */
function utf8Length(text: string, start: number, end: number): number {
  let bytes = end - start;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c >= 0xd800 && c <= 0xdfff) return -1;
    bytes += c < 0x800 ? 1 : 2;
  }
  return bytes;
}

/** Writes text[start, end) a byte a character at `at`; returns the position after it, or -1 at a non-ASCII one. */
function putAscii(out: Uint8Array, at: number, text: string, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return -1;
    out[at++] = c;
  }
  return at;
}

/** Writes text[start, end) (no surrogates) as UTF-8 at `at`; returns the position after it. */
function putUtf8(out: Uint8Array, at: number, text: string, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) out[at++] = c;
    else if (c < 0x800) {
      out[at++] = 0xc0 | (c >> 6);
      out[at++] = 0x80 | (c & 0x3f);
    } else {
      out[at++] = 0xe0 | (c >> 12);
      out[at++] = 0x80 | ((c >> 6) & 0x3f);
      out[at++] = 0x80 | (c & 0x3f);
    }
  }
  return at;
}

/** The one-off series of a batch: series k's label fields are bytes[start[k], end[k]), hashed as hash[k]. */
export interface OneOffColumns {
  readonly bytes: Uint8Array;
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly hash: Int32Array;
  readonly count: number;
}

/** A batch without one-off series. */
export const NO_ONE_OFF_SERIES: OneOffColumns = Object.freeze({
  bytes: new Uint8Array(0),
  start: new Int32Array(0),
  end: new Int32Array(0),
  hash: new Int32Array(0),
  count: 0,
});

/** Checks, sorts and encodes label sets from scanned text into series of one batch (see the top of the file). */
export class OneOffSeries implements OneOffColumns {
  bytes: Uint8Array = new Uint8Array(64 * 1024);
  /** A view of `bytes`, for copyBytes. */
  private bytesView = viewOf(this.bytes);
  start = new Int32Array(1024);
  end = new Int32Array(1024);
  hash = new Int32Array(1024);
  count = 0;
  private used = 0;
  /**
   * Once a labels text comes back within the batch (deduping): this batch's series by hash (open addressing,
   * k + 1; 0 free), so a label set met again reuses its series. A batch without repeats never builds it: its
   * random writes cost more than merging the rare repeat when grouping.
   */
  private seen = new Int32Array(0);
  private deduping = false;
  /** The arena a plan still holds (see lend). */
  private lent: Uint8Array | undefined;
  private readonly limits: PipelineLimits;
  private readonly extra: readonly Label[];
  private readonly forced: readonly Label[];
  private readonly names = new TextIndex<string>();
  // The set being added: label i is names[i] = valueText[i][valueStart[i], valueEnd[i]), in `order` once sorted.
  private readonly labelName: string[] = [];
  private readonly valueText: string[] = [];
  private readonly valueStart = new Int32Array(LABEL_SLOTS);
  private readonly valueEnd = new Int32Array(LABEL_SLOTS);
  /** UTF-8 bytes of each value. */
  private readonly valueBytes = new Int32Array(LABEL_SLOTS);
  private readonly order = new Int32Array(LABEL_SLOTS);
  private labelCount = 0;
  /** The set's label fields, encoded; a series' `__name__` field goes in at nameAt. */
  private setFields = new Uint8Array(1024);
  private setFieldsView = viewOf(this.setFields);
  private setLength = 0;
  private nameAt = 0;
  /** fieldsHash of setFields before and after nameAt, and hashFactor of the length after it. */
  private prefixHash = 0;
  private suffixHash = 0;
  private suffixFactor = 1;
  private readonly factors = new HashFactors();
  /** fieldsHash and hashFactor of the name field of the series being added. */
  private nameHash = 0;
  private nameFactor = 1;
  /** Name fields by report position: a fleet sends the same metrics in the same order. */
  private readonly recentNames = new RecentNameFields();
  /** The layout of a labels object taken earlier, and labels objects taken the general way since it was learnt. */
  private readonly shape = new LabelsShape(MAX_LABELS);
  /** From RELEARN_AFTER - 1, so the first object taken teaches a layout; an object without one waits as long. */
  private unshaped = RELEARN_AFTER - 1;
  /** Keys readObject read last (a key a forced label replaces is read but not pushed). */
  private keysRead = 0;

  constructor(config: PipelineConfig) {
    this.limits = config.limits;
    this.extra = prepareExtraLabels(config.extraLabels, config.limits);
    this.forced = prepareExtraLabels(config.forcedLabels ?? {}, config.limits, 'forced label');
  }

  /** Forgets the last batch's series; an arena its plan still holds is left to it. */
  clear(): void {
    // Reusing a released arena saves fresh memory per batch, which cost more than planning it (page faults).
    if (this.lent === this.bytes) this.useArena(new Uint8Array(this.bytes.length));
    this.lent = undefined;
    this.count = 0;
    this.used = 0;
    this.deduping = false;
  }

  /**
   * The series made so far, for grouping (which reads start, end and hash at once). Their bytes stay the plan's
   * until release(bytes): the arena is not written again before that.
   */
  lend(): OneOffColumns {
    this.lent = this.bytes;
    return { bytes: this.bytes, start: this.start, end: this.end, hash: this.hash, count: this.count };
  }

  /** The plan that was lent `bytes` is done with them. */
  release(bytes: Uint8Array): void {
    if (this.lent === bytes) this.lent = undefined;
  }

  /** Drops the series made since count was `mark` (their message went another way). */
  rollback(mark: number): void {
    if (mark >= this.count) return;
    this.used = this.start[mark]!;
    this.count = mark;
  }

  /**
   * Takes the labels object text[start, end) (start -1: none) as the set of the next series, or returns false
   * when it is not one the fast path takes. The object is one the scanner passed: string values, no escapes.
   * `repeated`: the same text was met earlier in this batch (the doorkeeper knows), so its series may exist.
   */
  useLabels(text: string, start: number, end: number, repeated = false): boolean {
    this.startSet(repeated);
    if (start < 0) return this.finishSet();
    if (this.shape.matches(text, start, end)) return this.encodeShaped(text);
    if (!this.readObject(text, start, end)) return false;
    const read = this.labelCount;
    if (!this.finishSet()) return false;
    if (++this.unshaped >= RELEARN_AFTER) this.learnShape(text, start, end, read);
    return true;
  }

  /**
   * Where the labels object at text[start] ends (after its '}') when it has the layout learnt last and plain
   * values (see LabelsShape.matchAt), else -1: the scanner then need not check it character by character.
   */
  labelsEnd(text: string, start: number): number {
    return this.shape.matchAt(text, start);
  }

  /** Learns the layout of the labels object just taken, whose first `read` labels are its keys in text order. */
  private learnShape(text: string, start: number, end: number, read: number): void {
    this.unshaped = 0;
    // Only a set whose every key gave a non-empty label: then slots and values map one to one.
    if (read === 0 || this.keysRead !== read) return;
    for (let k = 0; k < read; k++)
      if (this.valueText[k] !== text || this.valueEnd[k]! <= this.valueStart[k]!) return;
    const slots: ShapeSlot[] = [];
    for (let s = 0; s < this.labelCount; s++) {
      const k = this.order[s]!;
      slots.push({
        name: this.labelName[k]!,
        key: k < read ? k : -1,
        value: k < read ? '' : this.valueText[k]!,
      });
    }
    this.shape.learn(text, start, end, this.valueStart, this.valueEnd, read, slots);
  }

  /**
   * encodeSet for a labels object of the learnt layout: its names, their order and the configured labels are the
   * layout's, so only the values are checked and written. False for a value the general way would decline. Values
   * are written as ASCII first, a byte a character; one with any other character has the set written again by
   * the values' UTF-8 lengths.
   */
  private encodeShaped(text: string): boolean {
    const asciiSize = this.shapedSize(text, true);
    if (asciiSize < 0) return false;
    if (this.writeShaped(text, asciiSize, true)) return true;
    const size = this.shapedSize(text, false);
    return size >= 0 && this.writeShaped(text, size, false);
  }

  /**
   * Writes the set of a labels object of the learnt layout into setFields (at most `size` bytes, from shapedSize),
   * hashing each label as it is written. `ascii`: a character a byte, and false at the first that is not ASCII;
   * otherwise as UTF-8, by the lengths shapedSize left in valueBytes.
   */
  private writeShaped(text: string, size: number, ascii: boolean): boolean {
    const shape = this.shape;
    const { valueStart, valueEnd } = shape;
    const slots = shape.slots;
    this.reserveSetFields(size);
    const out = this.setFields;
    let at = 0;
    let hash = 0;
    for (let s = 0; s < slots; s++) {
      if (s === shape.nameSlot) {
        this.nameAt = at;
        this.prefixHash = hash;
        hash = 0;
      }
      const k = shape.keyOf(s);
      const head = shape.bytesOf(s);
      const from = at;
      if (k >= 0) {
        const bytes = this.valueBytes[k]!;
        out[at++] = TAG_LABELS;
        at = putVarint(out, at, head.length + 1 + varintSize(bytes) + bytes);
      }
      for (let i = 0; i < head.length; i++) out[at++] = head[i]!;
      if (k >= 0) {
        out[at++] = TAG_LABEL_VALUE;
        at = putVarint(out, at, this.valueBytes[k]!);
        at = ascii
          ? putAscii(out, at, text, valueStart[k]!, valueEnd[k]!)
          : putUtf8(out, at, text, valueStart[k]!, valueEnd[k]!);
        if (at < 0) return false;
      }
      hash = fieldsHash(out, from, at, hash);
    }
    if (shape.nameSlot === slots) {
      this.nameAt = at;
      this.prefixHash = hash;
      hash = 0;
    }
    this.setLength = at;
    this.suffixHash = hash;
    this.suffixFactor = this.factors.of(at - this.nameAt);
    return true;
  }

  /**
   * The most bytes the set of a labels object of the learnt layout takes, its values' lengths in valueBytes, or -1
   * for a value the general way would decline. `ascii`: values counted a byte a character (a value has at least as
   * many UTF-8 bytes), as encodeShaped writes them; otherwise by their UTF-8 length.
   */
  private shapedSize(text: string, ascii: boolean): number {
    const shape = this.shape;
    const { valueStart, valueEnd } = shape;
    let size = 0;
    for (let s = 0; s < shape.slots; s++) {
      const k = shape.keyOf(s);
      size += shape.bytesOf(s).length;
      if (k < 0) continue;
      const bytes = ascii ? valueEnd[k]! - valueStart[k]! : utf8Length(text, valueStart[k]!, valueEnd[k]!);
      if (bytes < 0 || bytes > this.limits.maxLabelValueLength) return -1;
      this.valueBytes[k] = bytes;
      // The label's tag and length, the value's tag and length: at most 12 bytes.
      size += 12 + bytes;
    }
    return size;
  }

  /**
   * Takes a decoded labels object (a route's labels, or a body the scanner stepped aside for) as the set of the
   * next series, or returns false when the fast path does not take it: as useLabels, and for any value that is
   * not a string or holds a surrogate.
   */
  useLabelObject(labels: Readonly<Record<string, unknown>>, repeated = false): boolean {
    this.startSet(repeated);
    return this.readLabelObject(labels) && this.finishSet();
  }

  private startSet(repeated: boolean): void {
    if (repeated && !this.deduping) {
      this.deduping = true;
      this.buildSeen(4 * Math.max(this.count, 256), this.count);
    }
    this.labelCount = 0;
  }

  private finishSet(): boolean {
    if (!this.addConfigured()) return false;
    this.sortLabels();
    return this.encodeSet();
  }

  /** readObject for a decoded object: its keys cannot repeat, and its values are strings to check. */
  private readLabelObject(labels: Readonly<Record<string, unknown>>): boolean {
    let keys = 0;
    for (const key in labels) {
      const value = labels[key];
      if (typeof value !== 'string') return false;
      const name = this.labelNameAt(key, 0, key.length);
      if (name === undefined || ++keys > MAX_LABELS) return false;
      if (!this.takeLabel(name, value, 0, value.length)) return false;
    }
    return true;
  }

  /** Reads the object's labels; false for anything LabelRules would sanitise, drop differently or refuse. */
  private readObject(text: string, start: number, end: number): boolean {
    let keys = 0;
    let i = start + 1;
    for (;;) {
      while (text.charCodeAt(i) !== 0x22) {
        if (++i < end) continue;
        this.keysRead = keys;
        return true;
      }
      const nameEnd = text.indexOf('"', i + 1);
      const name = this.labelNameAt(text, i + 1, nameEnd);
      if (name === undefined || ++keys > MAX_LABELS) return false;
      // A repeated key: JSON.parse keeps the last value, which the cache's way reproduces.
      for (let k = 0; k < this.labelCount; k++) if (this.labelName[k] === name) return false;
      const valueStart = text.indexOf('"', nameEnd + 1) + 1;
      const valueEnd = text.indexOf('"', valueStart);
      i = valueEnd + 1;
      if (!this.takeLabel(name, text, valueStart, valueEnd)) return false;
    }
  }

  /**
   * Takes label `name` with the value text[start, end), unless a forced label replaces it; false when the value
   * is over the limit or holds a surrogate.
   */
  private takeLabel(name: string, text: string, start: number, end: number): boolean {
    if (end === start) {
      // An empty value means the label is absent; kept only for the repeated-key check.
      if (!this.forcedName(name)) this.push(name, '', 0, 0, 0);
      return true;
    }
    const bytes = utf8Length(text, start, end);
    if (bytes < 0 || bytes > this.limits.maxLabelValueLength) return false;
    if (!this.forcedName(name)) this.push(name, text, start, end, bytes);
    return true;
  }

  /** The valid label name text[start, end), one string per name; undefined for a name LabelRules would refuse. */
  private labelNameAt(text: string, start: number, end: number): string | undefined {
    const known = this.names.getRange(text, start, end);
    if (known !== undefined) return known;
    const name = text.slice(start, end);
    if (!isValidLabelName(name) || name.startsWith('__') || name.length > this.limits.maxLabelNameLength)
      return undefined;
    if (this.names.size >= NAMES_LIMIT) this.names.clear();
    const flat = Buffer.from(name, 'latin1').toString('latin1');
    this.names.set(flat, flat);
    return flat;
  }

  private forcedName(name: string): boolean {
    for (const label of this.forced) if (label.name === name) return true;
    return false;
  }

  private push(name: string, text: string, start: number, end: number, bytes: number): void {
    const k = this.labelCount++;
    this.labelName[k] = name;
    this.valueText[k] = text;
    this.valueStart[k] = start;
    this.valueEnd[k] = end;
    this.valueBytes[k] = bytes;
  }

  private pushConfigured(label: Label): void {
    this.push(label.name, label.value, 0, label.value.length, Buffer.byteLength(label.value, 'utf8'));
  }

  /** Adds the forced labels and the extra labels the message does not set; drops the empty ones. */
  private addConfigured(): boolean {
    if (this.labelCount + this.extra.length + this.forced.length > LABEL_SLOTS) return false;
    let kept = 0;
    for (let k = 0; k < this.labelCount; k++) if (this.valueEnd[k]! > this.valueStart[k]!) kept++;
    const read = this.labelCount;
    for (const label of this.extra) {
      let present = false;
      for (let k = 0; k < read; k++)
        present ||= this.labelName[k] === label.name && this.valueEnd[k]! > this.valueStart[k]!;
      if (!present && !this.forcedName(label.name)) this.pushConfigured(label);
    }
    for (const label of this.forced) this.pushConfigured(label);
    // With `__name__`, within the receiver's label limit, and small enough to sort by insertion here.
    return kept + this.labelCount - read + 1 <= Math.min(this.limits.maxLabelsPerSeries, MAX_LABELS);
  }

  /** Puts the non-empty labels in `order`, sorted by name (byte order: names are ASCII). */
  private sortLabels(): void {
    const order = this.order;
    let n = 0;
    for (let k = 0; k < this.labelCount; k++) {
      if (this.valueEnd[k] === this.valueStart[k]) continue;
      const name = this.labelName[k]!;
      let j = n - 1;
      while (j >= 0 && this.labelName[order[j]!]! > name) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = k;
      n++;
    }
    this.labelCount = n;
  }

  /**
   * Encodes the sorted labels into setFields; nameAt is where `__name__` sorts among them. Also hashes the parts
   * before and after it, so a series' hash costs only its name field (see fieldsHash).
   */
  private encodeSet(): boolean {
    let size = 0;
    for (let s = 0; s < this.labelCount; s++) size += 1 + 4 + this.labelFieldsSize(this.order[s]!);
    this.reserveSetFields(size);
    const out = this.setFields;
    let at = 0;
    this.nameAt = -1;
    for (let s = 0; s < this.labelCount; s++) {
      const k = this.order[s]!;
      const name = this.labelName[k]!;
      if (this.nameAt < 0 && name > '__name__') this.nameAt = at;
      out[at++] = TAG_LABELS;
      at = putVarint(out, at, this.labelFieldsSize(k));
      out[at++] = TAG_LABEL_NAME;
      at = putVarint(out, at, name.length);
      for (let i = 0; i < name.length; i++) out[at++] = name.charCodeAt(i);
      out[at++] = TAG_LABEL_VALUE;
      at = putVarint(out, at, this.valueBytes[k]!);
      at = putUtf8(out, at, this.valueText[k]!, this.valueStart[k]!, this.valueEnd[k]!);
    }
    if (this.nameAt < 0) this.nameAt = at;
    this.finishFields(at);
    return true;
  }

  /** The set's fields end at `at`: hashes the parts before and after nameAt. */
  private finishFields(at: number): void {
    const out = this.setFields;
    this.setLength = at;
    this.prefixHash = fieldsHash(out, 0, this.nameAt);
    this.suffixHash = fieldsHash(out, this.nameAt, at);
    this.suffixFactor = this.factors.of(at - this.nameAt);
  }

  /** Bytes inside the Label message of label k: its name and value fields. */
  private labelFieldsSize(k: number): number {
    const nameBytes = this.labelName[k]!.length;
    const valueBytes = this.valueBytes[k]!;
    return 1 + varintSize(nameBytes) + nameBytes + 1 + varintSize(valueBytes) + valueBytes;
  }

  /**
   * A series of the set taken last, named text[start, end) (at `position` of its message, -1 when unknown): its
   * number, or -1 when the name is not one the fast path takes (it needs sanitising, or is too long).
   */
  add(text: string, start: number, end: number, position = -1): number {
    const recent = position >= 0 && position < RECENT_NAME_POSITIONS;
    if (recent) {
      if (!this.recentNames.hold(text, start, end, position, this.limits.maxLabelValueLength)) return -1;
    } else if (end - start > this.limits.maxLabelValueLength || !isValidMetricNameAt(text, start, end)) {
      return -1;
    }
    this.reserve(this.setLength + nameFieldSize(end - start));
    const out = this.bytes;
    const fields = this.setFields;
    const first = this.used;
    let at = copyBytes(fields, this.setFieldsView, 0, this.nameAt, out, this.bytesView, first);
    if (recent) {
      // A whole array: set() copies it natively, with no subarray to make.
      const nameField = this.recentNames.field(position);
      out.set(nameField, at);
      at += nameField.length;
      this.nameHash = this.recentNames.hash[position]!;
      this.nameFactor = this.recentNames.factor[position]!;
    } else {
      at = this.putHashedName(out, at, text, start, end);
    }
    at = copyBytes(fields, this.setFieldsView, this.nameAt, this.setLength, out, this.bytesView, at);
    return this.finishSeries(first, at);
  }

  /** Writes the name field of text[start, end) at `at`, leaving its fieldsHash and hashFactor in nameHash/Factor. */
  private putHashedName(out: Uint8Array, at: number, text: string, start: number, end: number): number {
    const after = putNameField(out, at, text, start, end);
    this.nameHash = fieldsHash(out, at, after);
    this.nameFactor = this.factors.of(after - at);
    return after;
  }

  /** Numbers the series written at bytes[first, at) and hashes it; an equal series met earlier takes its place. */
  private finishSeries(first: number, at: number): number {
    const k = this.count++;
    this.start[k] = first;
    this.end[k] = at;
    // fieldsHash of the whole, from its parts: H(a b) = H(a) * factor(|b|) + H(b).
    const upToName = (Math.imul(this.prefixHash, this.nameFactor) + this.nameHash) | 0;
    this.hash[k] = (Math.imul(upToName, this.suffixFactor) + this.suffixHash) | 0;
    const earlier = this.deduping ? this.earlierEqual(k) : -1;
    if (earlier >= 0) {
      // A device that repeats within the batch (a cold start's first batch): one series, nothing to merge later.
      this.count = k;
      return earlier;
    }
    this.used = at;
    return k;
  }

  /** A series before k with the same label fields as k, or -1 (then k is entered in `seen`). */
  private earlierEqual(k: number): number {
    if (2 * (k + 1) > this.seen.length) this.buildSeen(2 * this.seen.length, k);
    const mask = this.seen.length - 1;
    const hash = this.hash[k]!;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.seen[slot]!;
      if (entry === 0) {
        this.seen[slot] = k + 1;
        return -1;
      }
      // A series dropped by rollback may have left its slot; its number is then k or more, or holds other bytes.
      const other = entry - 1;
      if (other < k && this.hash[other] === hash && this.sameSeries(other, k)) return other;
    }
  }

  private sameSeries(a: number, b: number): boolean {
    const { bytes, start, end } = this;
    return sameBytes(bytes, start[a]!, end[a]!, bytes, start[b]!, end[b]!);
  }

  /** Makes `seen` at least `size` slots (a power of two) holding this batch's series before `upTo`. */
  private buildSeen(size: number, upTo: number): void {
    let slots = 1024;
    while (slots < size) slots *= 2;
    if (this.seen.length === slots) this.seen.fill(0);
    else this.seen = new Int32Array(slots);
    const mask = slots - 1;
    for (let j = 0; j < upTo; j++) {
      let slot = this.hash[j]! & mask;
      while (this.seen[slot] !== 0) slot = (slot + 1) & mask;
      this.seen[slot] = j + 1;
    }
  }

  private useArena(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.bytesView = viewOf(bytes);
  }

  /** Makes setFields at least `size` bytes. */
  private reserveSetFields(size: number): void {
    if (this.setFields.length >= size) return;
    this.setFields = new Uint8Array(Math.max(size, this.setFields.length * 2));
    this.setFieldsView = viewOf(this.setFields);
  }

  /** Makes room for one more series of up to `size` bytes. */
  private reserve(size: number): void {
    if (this.used + size > this.bytes.length) this.useArena(grown(this.bytes, this.used + size));
    if (this.count === this.start.length) {
      this.start = grown(this.start, this.count + 1);
      this.end = grown(this.end, this.count + 1);
      this.hash = grown(this.hash, this.count + 1);
    }
  }
}
