// Series interning: every sample of one label set gets the same SeriesIdentity object, so grouping compares
// objects instead of hashing label strings, and a warm Lambda checks, sorts and encodes each label set once.
// Everything remembered between batches is here, behind one small interface, so the eviction policy can change
// without touching validation or the scanner.
//
// The policy: a budget of estimated bytes and of series, sized from the function's memory. Label sets are kept
// in a CLOCK ring: a lookup marks a set as referenced, and the hand clears marks as it passes and evicts the
// first unmarked set it meets. Sets made during a batch are admitted at the next startBatch, each one only if the
// budget has room or the hand finds a victim within a few steps; otherwise it is dropped. So a fleet larger than
// the budget keeps a stable part of itself cached (its other devices pay the miss path), instead of every set
// pushing out the one that is about to be used again. Before that, the doorkeeper (admission) interns a set only
// when it comes back, and soon enough to be found again: a fleet that comes back less often than the budget can
// wait for is written one-off, and the cache stands aside instead of churning. While it stands aside, the
// doorkeeper follows only a sample of the texts (see SAMPLE_FROM).
import { Doorkeeper } from './doorkeeper.js';
import { fieldsHash, seriesFieldsOf, setFieldsOf, withSeries, type SetFields } from './label-fields.js';
import type { Label, SeriesIdentity } from './model.js';
import { SeriesBytes, SeriesFieldTable, type SeriesFieldColumns } from './series-bytes.js';
import type { LabelSetScanState } from './scan-memory.js';
import { appended, SmallMap } from './small-map.js';
import { hashRange, TextIndex } from './text-index.js';

export interface SeriesCacheLimits {
  /** Estimated bytes of label sets, series, lookup keys and templates kept between batches. */
  readonly maxBytes: number;
  /** Series kept between batches. */
  readonly maxSeries: number;
}

/** Series kept between batches at most when no memory size is known. */
export const DEFAULT_SERIES_CACHE_LIMIT = 100_000;
/**
 * The share of the function's memory the cache may hold between batches (estimated bytes): 64 MiB at 512 MB,
 * a fleet of about 20,000 devices held whole (docs/performance.md).
 */
const MEMORY_SHARE = 1 / 8;
/** Estimated bytes per series allowed by the count bound: the byte bound decides for typical label sets. */
const BYTES_PER_SERIES_BOUND = 256;
const MIB = 1024 * 1024;
/** Without AWS_LAMBDA_FUNCTION_MEMORY_SIZE (tests, local runs): sized as for the stack's default 512 MB. */
const DEFAULT_MEMORY_MB = 512;

/** The cache budget for a function with `memoryMb` of memory (Lambda's AWS_LAMBDA_FUNCTION_MEMORY_SIZE). */
export function seriesCacheLimitsFor(memoryMb: string | number | undefined): SeriesCacheLimits {
  const parsed = Number(memoryMb);
  const mb = Number.isFinite(parsed) && parsed >= 128 ? parsed : DEFAULT_MEMORY_MB;
  const maxBytes = Math.floor(mb * MIB * MEMORY_SHARE);
  return { maxBytes, maxSeries: Math.floor(maxBytes / BYTES_PER_SERIES_BOUND) };
}

export const DEFAULT_SERIES_CACHE_LIMITS = seriesCacheLimitsFor(undefined);

/** The share of the budget held past which new sets keep no lookup keys until found again. */
const PRESSURE = 0.9;
/** Steps the CLOCK hand may take to find a victim for one new set; past that the new set is not admitted. */
const MAX_HAND_STEPS = 8;
/** Label sets a batch may intern once the budget is nearly held: enough to follow a changing fleet slowly. */
const INTERNS_UNDER_PRESSURE = 64;
/** Estimated bytes of a label set before the cache holds any to measure (a 2-label set, 3 series, template). */
const ASSUMED_SET_BYTES = 3 * 1024;
/**
 * When the cache stands aside for a fleet, the doorkeeper follows a sample of its texts: those whose hash has its
 * top 32 - SAMPLED_SHIFT bits clear (an eighth). It does from the batch after SAMPLE_AFTER batches in a row that
 * each decided at least SAMPLE_FROM texts one-off and interned almost none (fewer than one in FEW_INTERNS; a
 * doorkeeper's false match interns a text now and then). A batch that interns more ends the sampling for
 * SAMPLE_AFTER batches at least, so the texts the sample skipped are noted and can come back.
 */
const SAMPLE_FROM = 1024;
const SAMPLE_AFTER = 8;
const FEW_INTERNS = 256;
/**
 * While it samples, the doorkeeper follows every text for two batches in a row every CENSUS_EVERY batches: a small
 * fleet that arrives among a flood may have no text in the sample, and two full batches note it and intern it.
 */
const CENSUS_EVERY = 16;
const SAMPLED_SHIFT = 29;
const SAMPLED_WEIGHT = 1 << (32 - SAMPLED_SHIFT);
/** The doorkeeper's most slots: a power of two, at least this many times the label sets the budget holds. */
const DOORKEEPER_SLOTS_PER_SET = 8;
const MIN_DOORKEEPER_SLOTS = 1024;
const MAX_DOORKEEPER_SLOTS = 1 << 20;
// Rough V8 sizes: an object header and a few fields, a Map entry, a string's header (UTF-16 text counts 2 bytes
// a character). Estimates only: the budget is a share of memory, not an exact accounting.
const OBJECT_BYTES = 64;
const MAP_ENTRY_BYTES = 48;
const STRING_BYTES = 24;

function stringBytes(text: string): number {
  return STRING_BYTES + 2 * text.length;
}

// Separators of the canonical series key: label names cannot contain control characters, and every value is
// length-prefixed, so no two different label sets share a key.
const FIELD = '\u0001';
const LABEL = '\u0002';

function keyOf(labels: readonly Label[]): string {
  let key = '';
  for (const label of labels) key += label.name + FIELD + label.value.length + FIELD + label.value + LABEL;
  return key;
}

/**
 * One checked label set (a message's label object, configured labels merged, sorted) and its series so far. What
 * the scanner remembers of bodies with these labels (LabelSetScanState) sits on the set itself: the scanner reaches
 * it for every body, and one object less on that path is one cache miss less.
 */
export interface LabelSet extends LabelSetScanState {
  readonly labels: readonly Label[];
  readonly key: string;
  /** By sanitised metric name. */
  readonly series: SmallMap<SeriesIdentity>;
  /** By metric name as the messages spell it, for names that sanitising changes: a hit needs no sanitising. */
  readonly byRawName: SmallMap<SeriesIdentity>;
  /** The raw-content and labels-text keys that lead to this set, removed with it. */
  rawKeys: readonly string[];
  textKeys: readonly string[];
  /** Set by every lookup that finds this set; the CLOCK hand clears it. */
  referenced: boolean;
  /** The last batch a lookup found this set in (each set counts once a batch among the returning ones). */
  foundInBatch: number;
  /** Whether a lookup found this set after it was made (its device came back). */
  seenAgain: boolean;
  /** Whether startBatch admitted it (its bytes count against the budget). */
  admitted: boolean;
  /** Estimated bytes held for this set: labels, series, keys, template. */
  bytes: number;
  /** The set's encoded label fields, as its first series' bytes. */
  fields: SetFields | undefined;
}

/** What the doorkeeper decides for a label set the cache does not hold (SeriesCache.admission). */
export type Admission = 'intern' | 'one-off' | 'one-off again';

/** The keys of a set that has none yet: shared, since a set's key lists are replaced, never changed. */
const NO_KEYS: readonly string[] = Object.freeze([]);

/** What an evicted id points at until it is reused, so the evicted series can be collected. */
const FREED: SeriesIdentity = { id: -1, key: '', labels: [], encodedLabels: new Uint8Array(0), hash: 0 };

/** The interned label sets and series of one normaliser, with the eviction policy described above. */
export class SeriesCache {
  /** Every series held, by id: `identities[i].id === i`; ids of evicted series are reused. */
  readonly identities: SeriesIdentity[] = [];
  readonly limits: SeriesCacheLimits;
  private readonly freeIds: number[] = [];
  /** The held series' label fields (SeriesIdentity.encodedLabels), packed into shared slabs. */
  private readonly seriesBytes = new SeriesBytes();
  /** The same fields by series id, as grouping reads them. */
  private readonly fieldTable = new SeriesFieldTable();
  private readonly byKey = new Map<string, LabelSet>();
  /** Label objects seen before, by their raw content in input order (see SampleNormaliser.labelSetOf). */
  private readonly byRawContent = new Map<string, LabelSet>();
  /** Label sets of scanned bodies, by the JSON text of their labels object ('' for none). */
  private readonly byLabelsText = new TextIndex<LabelSet>();
  /** Admitted label sets in CLOCK order; `hand` is the next one the hand looks at. */
  private ring: LabelSet[] = [];
  private hand = 0;
  /** Label sets made since the last startBatch, admitted or dropped there. */
  private fresh: LabelSet[] = [];
  private heldBytes = 0;
  private heldSeries = 0;
  /** Estimated bytes and series of the sets made since the last startBatch, not yet admitted. */
  private pendingBytes = 0;
  private pendingSeries = 0;
  /** Labels texts met lately (doorkeeper.ts): a set is interned only when its text comes back in a later batch. */
  private readonly doorkeeper: Doorkeeper;
  private batch = 1;
  private internsLeft = INTERNS_UNDER_PRESSURE;
  /**
   * Label sets met this batch that had been met in an earlier batch (found in the cache or known to the
   * doorkeeper): the sets that compete for the cache, whatever it decided for them. returningBefore: as many in
   * the batches before, decaying.
   */
  private returning = 0;
  private returningBefore = 0;
  /**
   * Whether the doorkeeper follows a sample of the texts (see SAMPLE_FROM): a lookup in its table is a cache miss,
   * paid for every message of a fleet the cache stands aside for, with nothing to find. The sample still counts
   * the returning texts (each weighs SAMPLED_WEIGHT), so a fleet that shrinks to fit is interned again: its
   * interns end the sampling for SAMPLE_AFTER batches at least. A census (CENSUS_EVERY) finds a small one.
   */
  private sampling = false;
  /**
   * Texts admission decided one-off this batch (their first sighting in it), texts it interned (each sampled one
   * weighing SAMPLED_WEIGHT), and batches in a row that decided many one-off and interned almost none.
   */
  private decidedOneOff = 0;
  private interned = 0;
  private standingAside = 0;
  /** Label sets the budget holds, at the held sets' mean size (updated each batch). */
  private capacity = 0;
  /**
   * The labels text looked up last (text[lastStart, lastEnd)), its hash and what it found: the scanner and then
   * the planner look a body's labels up, and a miss hashed the text and probed the index each time.
   */
  private lastText: string | undefined;
  /** The body the last text was looked up for (see nextBody): another body's text is not compared. */
  private lastBody = -1;
  private body = 0;
  private lastStart = -1;
  private lastEnd = -1;
  private lastHash = 0;
  private lastSet: LabelSet | undefined;

  /** A number bounds the series count alone (the byte budget is then unbounded). */
  constructor(limits: SeriesCacheLimits | number = DEFAULT_SERIES_CACHE_LIMITS) {
    this.limits = typeof limits === 'number' ? { maxBytes: Infinity, maxSeries: limits } : limits;
    // Many times the label sets the budget holds: admission counts the sets that come back by the texts the
    // doorkeeper still knows, so one that forgot most of a fleet too large to keep would count few and intern
    // them (at twice, 100,000 devices filled and churned the cache). Sized before any set is held, so
    // capacityInSets caps what admission assumes later.
    let slots = MIN_DOORKEEPER_SLOTS;
    const sets = this.budgetInSets();
    while (slots < DOORKEEPER_SLOTS_PER_SET * sets && slots < MAX_DOORKEEPER_SLOTS) slots *= 2;
    this.doorkeeper = new Doorkeeper(slots);
    this.capacity = this.capacityInSets();
  }

  /**
   * What becomes of a label set the cache does not hold, whose labels text hashes to `hash`. It is interned when
   * its text was met in an earlier batch, recently enough to be found again before the cache would forget it (and,
   * once the budget is nearly held, while this batch's few interns last). Otherwise its text is noted and its
   * series are made one-off for this batch; 'one-off again' says the text was met earlier in this batch, so its
   * series may exist already.
   */
  admission(hash: number): Admission {
    // As an Int32Array stores it; 0 marks the doorkeeper's empty slots.
    const textHash = hash | 0 || 1;
    if (this.sampling && textHash >>> SAMPLED_SHIFT !== 0) return this.decideOneOff();
    const slot = this.doorkeeper.find(textHash);
    if (slot < 0) {
      this.doorkeeper.note(textHash, this.batch);
      return this.decideOneOff();
    }
    const gap = this.batch - this.doorkeeper.batchAt(slot);
    if (gap === 0) return 'one-off again';
    this.returning += this.sampling ? SAMPLED_WEIGHT : 1;
    if (this.tooFarApart(gap) || (this.underPressure() && this.internsLeft-- <= 0)) {
      // Met in this batch now: its next message here is 'one-off again', and counts as returning only once.
      this.doorkeeper.meet(slot, this.batch);
      return this.decideOneOff();
    }
    this.interned += this.sampling ? SAMPLED_WEIGHT : 1;
    return 'intern';
  }

  /** Whether the doorkeeper follows only a sample of the texts this batch (see `sampling`). */
  get doorkeeperSampled(): boolean {
    return this.sampling;
  }

  private decideOneOff(): Admission {
    this.decidedOneOff++;
    return 'one-off';
  }

  /**
   * Whether a set met again after `gap` batches comes back too seldom to be kept: the sets returning meanwhile
   * outnumber what the budget holds, so interning it would only push out another before either is found again.
   * In a fleet larger than the cache every set is such a one, and the cache then stands aside; counting the
   * returning sets whether or not they were interned keeps that decision from swinging batch to batch.
   */
  private tooFarApart(gap: number): boolean {
    return gap * Math.max(this.returning, this.returningBefore) > this.capacity;
  }

  private underPressure(): boolean {
    return (
      this.heldBytes + this.pendingBytes >= this.limits.maxBytes * PRESSURE ||
      this.heldSeries + this.pendingSeries >= this.limits.maxSeries * PRESSURE
    );
  }

  /** The held series' label fields by id (those of ids not held are stale). */
  get fields(): SeriesFieldColumns {
    return this.fieldTable;
  }

  /**
   * Estimated bytes and series held between batches (admitted sets only), and slabBytes: the slabs of the series'
   * label fields (see series-bytes.ts).
   */
  get held(): {
    readonly bytes: number;
    readonly series: number;
    readonly labelSets: number;
    readonly slabBytes: number;
  } {
    return {
      bytes: this.heldBytes,
      series: this.heldSeries,
      labelSets: this.ring.length,
      slabBytes: this.seriesBytes.slabBytes,
    };
  }

  /**
   * Whether lookup keys and scanner memory are worth keeping for this set: always while the budget has room, and
   * once full only for a set found again. In a fleet larger than the budget most sets are met once before they
   * are dropped, and what was kept for them was garbage the miss path paid for.
   */
  worthRemembering(set: LabelSet): boolean {
    return (
      set.seenAgain ||
      (this.heldBytes < this.limits.maxBytes * PRESSURE && this.heldSeries < this.limits.maxSeries * PRESSURE)
    );
  }

  /** Called before each batch: admits or drops the last batch's new sets. True when any set was forgotten. */
  startBatch(): boolean {
    this.batch++;
    this.internsLeft = INTERNS_UNDER_PRESSURE;
    // Halved rather than forgotten: a small batch between two large ones must not make the next intern freely.
    this.returningBefore = Math.max(this.returning, this.returningBefore >>> 1);
    this.returning = 0;
    const asideThisBatch =
      this.decidedOneOff >= SAMPLE_FROM && this.interned * FEW_INTERNS < this.decidedOneOff;
    this.standingAside = asideThisBatch ? this.standingAside + 1 : 0;
    this.sampling = this.standingAside >= SAMPLE_AFTER && this.batch % CENSUS_EVERY >= 2;
    this.decidedOneOff = 0;
    this.interned = 0;
    this.pendingBytes = 0;
    this.pendingSeries = 0;
    let forgot = false;
    for (const set of this.fresh) {
      const admitted = this.admit(set);
      forgot ||= admitted !== 'without eviction';
      if (admitted === 'dropped') this.remove(set);
    }
    this.fresh = [];
    // Twice at most (see SeriesBytes.fragmented).
    for (let pass = 0; pass < 2 && this.seriesBytes.fragmented; pass++) this.compactSeriesBytes();
    this.capacity = this.capacityInSets();
    return forgot;
  }

  /** What admission takes the budget to hold: never more sets than the doorkeeper can follow (see above). */
  private capacityInSets(): number {
    return Math.min(this.budgetInSets(), this.doorkeeper.maxSlots / DOORKEEPER_SLOTS_PER_SET);
  }

  /** Label sets the budget holds at the held sets' mean size. */
  private budgetInSets(): number {
    const sets = this.ring.length;
    const bytesPerSet = sets > 0 ? this.heldBytes / sets : ASSUMED_SET_BYTES;
    const seriesPerSet = sets > 0 ? Math.max(1, this.heldSeries / sets) : 1;
    return Math.min(this.limits.maxBytes / bytesPerSet, this.limits.maxSeries / seriesPerSet);
  }

  private admit(set: LabelSet): 'without eviction' | 'after eviction' | 'dropped' {
    const needBytes = set.bytes;
    const needSeries = set.series.size;
    if (needBytes > this.limits.maxBytes || needSeries > this.limits.maxSeries) return 'dropped';
    let steps = 0;
    let evicted = false;
    while (
      this.heldBytes + needBytes > this.limits.maxBytes ||
      this.heldSeries + needSeries > this.limits.maxSeries
    ) {
      if (this.ring.length === 0 || steps++ >= MAX_HAND_STEPS) return 'dropped';
      if (this.hand >= this.ring.length) this.hand = 0;
      const candidate = this.ring[this.hand]!;
      if (candidate.referenced) {
        candidate.referenced = false;
        this.hand++;
        continue;
      }
      // The last set of the ring takes the victim's place: no array shifting.
      this.ring[this.hand] = this.ring[this.ring.length - 1]!;
      this.ring.pop();
      this.heldBytes -= candidate.bytes;
      this.heldSeries -= candidate.series.size;
      this.remove(candidate);
      evicted = true;
    }
    set.referenced = false;
    set.admitted = true;
    this.ring.push(set);
    this.heldBytes += needBytes;
    this.heldSeries += needSeries;
    return evicted ? 'after eviction' : 'without eviction';
  }

  /** Forgets a set: its lookup keys, its series (their ids are reused) and its template. */
  private remove(set: LabelSet): void {
    this.lastText = undefined;
    if (this.byKey.get(set.key) === set) this.byKey.delete(set.key);
    for (const raw of set.rawKeys) if (this.byRawContent.get(raw) === set) this.byRawContent.delete(raw);
    for (const text of set.textKeys) this.byLabelsText.delete(text);
    for (const series of set.series.values()) {
      this.identities[series.id] = FREED;
      this.freeIds.push(series.id);
      this.seriesBytes.free(series.encodedLabels);
      this.fieldTable.clear(series.id);
    }
  }

  /** Moves the series of sparse slabs into the current one, so that forgotten series stop holding slabs. */
  private compactSeriesBytes(): void {
    for (const set of this.ring) {
      for (const series of set.series.values()) {
        const bytes = this.seriesBytes.moved(series.encodedLabels);
        if (bytes === series.encodedLabels) continue;
        const { lastSlab, lastStart } = this.seriesBytes;
        this.fieldTable.set(series.id, lastSlab, lastStart, bytes.length, this.fieldTable.hash[series.id]!);
        if (set.fields?.bytes === series.encodedLabels) set.fields = { ...set.fields, bytes };
        // The same bytes elsewhere: a plan holding the old view still reads them unchanged (see series-bytes.ts).
        (series as { encodedLabels: Uint8Array }).encodedLabels = bytes;
      }
    }
  }

  private found(set: LabelSet | undefined): LabelSet | undefined {
    if (set !== undefined) {
      set.referenced = true;
      set.seenAgain = true;
      if (set.foundInBatch !== this.batch) {
        set.foundInBatch = this.batch;
        this.returning++;
      }
    }
    return set;
  }

  /** The one LabelSet of these checked, sorted labels. */
  intern(labels: readonly Label[]): LabelSet {
    const key = keyOf(labels);
    const known = this.byKey.get(key);
    if (known !== undefined) return this.found(known)!;
    let bytes = OBJECT_BYTES * 6 + MAP_ENTRY_BYTES + stringBytes(key);
    for (const label of labels) bytes += OBJECT_BYTES + stringBytes(label.value);
    const set: LabelSet = {
      labels,
      key,
      series: new SmallMap(),
      byRawName: new SmallMap(),
      recent: [],
      template: undefined,
      templatesLearnt: 0,
      rawKeys: NO_KEYS,
      textKeys: NO_KEYS,
      referenced: false,
      foundInBatch: this.batch,
      seenAgain: false,
      admitted: false,
      bytes,
      fields: undefined,
    };
    this.byKey.set(key, set);
    this.fresh.push(set);
    this.pendingBytes += bytes;
    return set;
  }

  /** A new series `name` of `set`, with its full label list (`__name__` included, sorted). */
  addSeries(set: LabelSet, name: string, labels: readonly Label[]): SeriesIdentity {
    const id = this.freeIds.pop() ?? this.identities.length;
    const fields = set.fields ?? setFieldsOf(set.labels);
    const encodedLabels = this.seriesBytes.copy(seriesFieldsOf(fields, name, labels));
    const hash = fieldsHash(encodedLabels, 0, encodedLabels.length);
    const series: SeriesIdentity = { id, key: name + LABEL + set.key, labels, encodedLabels, hash };
    const { lastSlab, lastStart } = this.seriesBytes;
    this.fieldTable.set(id, lastSlab, lastStart, encodedLabels.length, hash);
    if (set.fields === undefined) set.fields = withSeries(fields, series.encodedLabels);
    this.identities[id] = series;
    set.series.set(name, series);
    const bytes =
      4 * OBJECT_BYTES +
      2 * MAP_ENTRY_BYTES +
      stringBytes(name) +
      series.encodedLabels.length +
      8 * labels.length;
    this.account(set, bytes, 1);
    return series;
  }

  byRaw(raw: string): LabelSet | undefined {
    return this.found(this.byRawContent.get(raw));
  }

  rememberRaw(raw: string, set: LabelSet): void {
    this.byRawContent.set(raw, set);
    set.rawKeys = appended(set.rawKeys, raw);
    this.account(set, MAP_ENTRY_BYTES + stringBytes(raw), 0);
  }

  /** The label set whose labels object's JSON text is text[start, end). */
  byText(text: string, start: number, end: number): LabelSet | undefined {
    if (!this.isLast(text, start, end)) {
      const hash = hashRange(text, start, end);
      this.remember(text, start, end, hash, this.byLabelsText.getRange(text, start, end, hash));
    }
    return this.found(this.lastSet);
  }

  /** hashRange of text[start, end), the labels text of a body: the doorkeeper's key for it. */
  textHash(text: string, start: number, end: number): number {
    if (!this.isLast(text, start, end)) this.byText(text, start, end);
    return this.lastHash;
  }

  /** A new body is being read: the text looked up last is then not compared with its text. */
  nextBody(): void {
    this.body = (this.body + 1) | 0;
  }

  private isLast(text: string, start: number, end: number): boolean {
    // Within one body the strings are one (compared by reference); without nextBody, by their characters.
    return (
      this.body === this.lastBody &&
      start === this.lastStart &&
      end === this.lastEnd &&
      text === this.lastText
    );
  }

  private remember(text: string, start: number, end: number, hash: number, set: LabelSet | undefined): void {
    this.lastText = text;
    this.lastBody = this.body;
    this.lastStart = start;
    this.lastEnd = end;
    this.lastHash = hash;
    this.lastSet = set;
  }

  rememberText(text: string, set: LabelSet): void {
    this.lastText = undefined;
    this.byLabelsText.set(text, set);
    set.textKeys = appended(set.textKeys, text);
    this.account(set, 3 * 8 + stringBytes(text), 0);
  }

  /** Counts a learnt template's text (a copy of the body) against the set's bytes. */
  countTemplate(set: LabelSet, chars: number): void {
    this.account(set, OBJECT_BYTES * 4 + 2 * chars, 0);
  }

  /** Adds to a set's estimate; an admitted set's growth counts against the budget at once. */
  private account(set: LabelSet, bytes: number, series: number): void {
    set.bytes += bytes;
    if (!set.admitted) {
      this.pendingBytes += bytes;
      this.pendingSeries += series;
      return;
    }
    this.heldBytes += bytes;
    this.heldSeries += series;
  }
}
