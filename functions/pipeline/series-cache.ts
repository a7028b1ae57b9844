// Series interning: every sample of one label set gets the same SeriesIdentity object, so grouping compares
// objects instead of hashing label strings, and a warm Lambda checks, sorts and encodes each label set once.
// Everything remembered between batches is here, behind one small interface, so the eviction policy can change
// without touching validation or the scanner.
import { encodeLabelFields } from './encode.js';
import type { Label, SeriesIdentity } from './model.js';
import { newScanState, type LabelSetScanState } from './scan-memory.js';
import { TextIndex } from './text-index.js';

/** Series and label sets kept between batches at most (about 0.5 KB each). */
export const DEFAULT_SERIES_CACHE_LIMIT = 50_000;
/** Template text is counted against the limit as one entry per this many characters. */
const TEMPLATE_CHARS_PER_ENTRY = 512;

// Separators of the canonical series key: label names cannot contain control characters, and every value is
// length-prefixed, so no two different label sets share a key.
const FIELD = '\u0001';
const LABEL = '\u0002';

function keyOf(labels: readonly Label[]): string {
  let key = '';
  for (const label of labels) key += label.name + FIELD + label.value.length + FIELD + label.value + LABEL;
  return key;
}

/** One checked label set (a message's label object, configured labels merged, sorted) and its series so far. */
export interface LabelSet {
  readonly labels: readonly Label[];
  readonly key: string;
  /** By sanitised metric name. */
  readonly series: Map<string, SeriesIdentity>;
  /** By metric name as the messages spell it: a hit needs no sanitising. */
  readonly byRawName: Map<string, SeriesIdentity>;
  /** What the scanner remembers of bodies with these labels. */
  readonly scan: LabelSetScanState;
}

/**
 * The interned label sets and series of one normaliser. The policy: once more than `limit` entries are held at
 * the start of a batch, everything is forgotten; a fleet larger than the limit then costs what an uncached
 * batch costs.
 */
export class SeriesCache {
  /** Every series interned so far; `identities[i].id === i`. */
  readonly identities: SeriesIdentity[] = [];
  private readonly byKey = new Map<string, LabelSet>();
  /** Label objects seen before, by their raw content in input order (see SampleNormaliser.labelSetOf). */
  private readonly byRawContent = new Map<string, LabelSet>();
  /** Label sets of scanned bodies, by the JSON text of their labels object ('' for none). */
  private readonly byLabelsText = new TextIndex<LabelSet>();
  private templateChars = 0;

  constructor(readonly limit = DEFAULT_SERIES_CACHE_LIMIT) {}

  /** Called before each batch; true when it forgot everything (callers drop what they hold from it). */
  startBatch(): boolean {
    const held =
      this.identities.length +
      this.byRawContent.size +
      this.byLabelsText.size +
      Math.floor(this.templateChars / TEMPLATE_CHARS_PER_ENTRY);
    if (held <= this.limit) return false;
    this.identities.length = 0;
    this.byKey.clear();
    this.byRawContent.clear();
    this.byLabelsText.clear();
    this.templateChars = 0;
    return true;
  }

  /** The one LabelSet of these checked, sorted labels. */
  intern(labels: readonly Label[]): LabelSet {
    const key = keyOf(labels);
    let set = this.byKey.get(key);
    if (set === undefined) {
      set = { labels, key, series: new Map(), byRawName: new Map(), scan: newScanState() };
      this.byKey.set(key, set);
    }
    return set;
  }

  /** A new series `name` of `set`, with its full label list (`__name__` included, sorted). */
  addSeries(set: LabelSet, name: string, labels: readonly Label[]): SeriesIdentity {
    const series: SeriesIdentity = {
      id: this.identities.length,
      key: name + LABEL + set.key,
      labels,
      encodedLabels: encodeLabelFields(labels),
    };
    this.identities.push(series);
    set.series.set(name, series);
    return series;
  }

  byRaw(raw: string): LabelSet | undefined {
    return this.byRawContent.get(raw);
  }

  rememberRaw(raw: string, set: LabelSet): void {
    this.byRawContent.set(raw, set);
  }

  /** The label set whose labels object's JSON text is text[start, end). */
  byText(text: string, start: number, end: number): LabelSet | undefined {
    return this.byLabelsText.getRange(text, start, end);
  }

  rememberText(text: string, set: LabelSet): void {
    this.byLabelsText.set(text, set);
  }

  /** Counts a learnt template's text against the limit (templates with text of their own are not shared). */
  countTemplate(chars: number): void {
    this.templateChars += chars;
  }
}
