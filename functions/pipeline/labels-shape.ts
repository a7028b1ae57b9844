// The key layout of the labels object one-off-series.ts took last, and how that set was written. A fleet's devices
// spell the same label names in the same order with the same punctuation; only the values differ. A labels object
// whose text equals the layout's but for its values has the same names, checked and sorted the same way, so it
// needs no name lookup, repeated-key check, configured-label merge or sort: only its values are read and written.
import { plainStringEnd } from './decode/json-lexer.js';
import { flatCopy } from './decode/template-store.js';
import { encodeLabelFields } from './encode.js';
import { putVarint, TAG_LABEL_NAME, varintSize } from './label-fields.js';

/** The labels of the set learnt from, sorted as written: a slot is a value of the object or a configured label. */
export interface ShapeSlot {
  readonly name: string;
  /** The object's key this slot's value comes from (its place in the text), or -1 for a configured label. */
  readonly key: number;
  /** A configured label's value (ignored for a key). */
  readonly value: string;
}

/** A labels object's layout, and where the values of the text matched last lie. */
export class LabelsShape {
  /**
   * The object's text around its values: gaps[0] from '{' to the first value's opening quote, gaps[k] from value
   * k-1's closing quote to value k's opening one, the last from the last closing quote to '}'. None: no layout.
   */
  private gaps: readonly string[] = [];
  /** Per slot, in write order: for a key, its name field; for a configured label, its whole label field. */
  private slotBytes: readonly Uint8Array[] = [];
  private slotKey = new Int32Array(0);
  /** The first slot whose name sorts after `__name__` (the slot count when none does). */
  nameSlot = 0;
  /** Where value k of the text matched last starts and ends. */
  readonly valueStart: Int32Array;
  readonly valueEnd: Int32Array;
  /** The labels object matchAt matched last, text[lastStart, lastEnd): matches() then needs no second reading. */
  private lastText: string | undefined;
  private lastStart = -1;
  private lastEnd = -1;

  constructor(maxKeys: number) {
    this.valueStart = new Int32Array(maxKeys);
    this.valueEnd = new Int32Array(maxKeys);
  }

  get slots(): number {
    return this.slotKey.length;
  }

  /**
   * Whether text[start, end), a labels object the scanner passed, has this layout and no empty value (an empty
   * value means an absent label, which changes the set's labels: the general way decides). The object matchAt
   * matched last is not read again.
   */
  matches(text: string, start: number, end: number): boolean {
    if (start === this.lastStart && end === this.lastEnd && text === this.lastText) return true;
    return this.matchAt(text, start) === end;
  }

  /**
   * Where the labels object at text[start] ends (after its '}') when it has this layout and its values are
   * non-empty plain strings (no escapes, control characters or surrogates), else -1. Such an object is one the
   * scanner's full check passes: its text between values is that of an object that passed it. So the scanner
   * reads a fleet's labels objects through the layout once, and matches() then takes the values found here.
   */
  matchAt(text: string, start: number): number {
    this.lastText = undefined;
    const gaps = this.gaps;
    const keys = gaps.length - 1;
    if (keys <= 0) return -1;
    let at = start;
    for (let k = 0; k < keys; k++) {
      const gap = gaps[k]!;
      // indexOf finding it right here is V8's fastest exact comparison (see the object scanner).
      if (text.indexOf(gap, at) !== at) return -1;
      const valueStart = at + gap.length;
      const valueEnd = plainStringEnd(text, valueStart);
      if (valueEnd <= valueStart) return -1;
      this.valueStart[k] = valueStart;
      this.valueEnd[k] = valueEnd;
      at = valueEnd;
    }
    const last = gaps[keys]!;
    if (text.indexOf(last, at) !== at) return -1;
    this.lastText = text;
    this.lastStart = start;
    this.lastEnd = at + last.length;
    return this.lastEnd;
  }

  /**
   * Learns the layout of text[start, end), whose values (none empty, in text order) lie at valueStart/valueEnd,
   * and the set written from it, `slots` in sorted order.
   */
  learn(
    text: string,
    start: number,
    end: number,
    valueStart: Int32Array,
    valueEnd: Int32Array,
    keys: number,
    slots: readonly ShapeSlot[],
  ): void {
    const gaps: string[] = [flatCopy(text.slice(start, valueStart[0]!))];
    for (let k = 1; k < keys; k++) gaps.push(flatCopy(text.slice(valueEnd[k - 1]!, valueStart[k]!)));
    gaps.push(flatCopy(text.slice(valueEnd[keys - 1]!, end)));
    this.gaps = gaps;
    this.lastText = undefined;
    this.slotKey = Int32Array.from(slots, (slot) => slot.key);
    this.slotBytes = slots.map((slot) =>
      // A copy: encodeLabelFields writes small sets into Buffer's shared pool, which the layout would keep alive.
      slot.key < 0 ? new Uint8Array(encodeLabelFields([slot])) : nameField(slot.name),
    );
    const after = slots.findIndex((slot) => slot.name > '__name__');
    this.nameSlot = after < 0 ? slots.length : after;
  }

  /** Slot s's key (-1: a configured label) and its bytes: the name field, or a configured label's whole field. */
  keyOf(slot: number): number {
    return this.slotKey[slot]!;
  }

  bytesOf(slot: number): Uint8Array {
    return this.slotBytes[slot]!;
  }
}

/** A label name's field (names are ASCII). */
function nameField(name: string): Uint8Array {
  const out = new Uint8Array(1 + varintSize(name.length) + name.length);
  let at = putVarint(out, 1, name.length);
  out[0] = TAG_LABEL_NAME;
  for (let i = 0; i < name.length; i++) out[at++] = name.charCodeAt(i);
  return out;
}
