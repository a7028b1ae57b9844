// Normalisation turns a decoded sample into its series: a complete, valid label set, interned so that every
// sample of one label set gets the same SeriesIdentity. SampleNormaliser puts together three parts: label
// validation (label-rules.ts), series interning (series-cache.ts) and the scanner's memory (scan-memory.ts).
import { DEFAULT_PIPELINE_CONFIG, type PipelineConfig } from './config.js';
import { flatCopy } from './decode/template-store.js';
import { InvalidMessageError } from './errors.js';
import { LabelRules, METRIC_NAME_LABEL, withMetricName } from './label-rules.js';
import type { DecodedSample, Label, SeriesIdentity } from './model.js';
import { PlanWorkspace } from './plan-workspace.js';
import { OneOffSeries } from './one-off-series.js';
import { RECENT_NAME_POSITIONS } from './recent-name-fields.js';
import { LabelSetScanMemory } from './scan-memory.js';
import { SeriesCache, type LabelSet, type SeriesCacheLimits } from './series-cache.js';
import { hashRange } from './text-index.js';

export { compareLabelNames, prepareExtraLabels } from './label-rules.js';
export {
  DEFAULT_SERIES_CACHE_LIMIT,
  seriesCacheLimitsFor,
  type LabelSet,
  type SeriesCacheLimits,
} from './series-cache.js';

/** `__name__` labels kept for sharing at most. */
const NAME_LABELS_LIMIT = 10_000;

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * The key of a labels object as a device sends it: most devices send the same labels in the same order every
 * time, and this skips sanitising, checking and sorting them again. Length-prefixed, so no two different label
 * objects share a key. Undefined when a value is not a string (LabelRules explains it).
 */
function rawContentOf(input: Readonly<Record<string, string>>): string | undefined {
  let raw = '';
  for (const name in input) {
    const value = input[name];
    if (typeof value !== 'string') return undefined;
    raw += `${name.length}:${name}${value.length}:${value}`;
  }
  return raw;
}

/** A stand-in DecodedSample for the checks that read only a metric name or only labels. */
function standIn(name: string, labels: Readonly<Record<string, string>>): DecodedSample {
  return { name, labels, value: 0, timestampMs: 0 };
}

/** Runs `check`, turning an InvalidMessageError into undefined (the slow path then explains the problem). */
function orUndefined<T>(check: () => T): T | undefined {
  try {
    return check();
  } catch (error) {
    if (error instanceof InvalidMessageError) return undefined;
    throw error;
  }
}

/**
 * The series of decoded and scanned samples. One normaliser may serve batch after batch (the Lambda handler keeps
 * one per execution environment); `startBatch` bounds what it keeps. It also remembers the last label object it
 * saw: a report's samples share one, so their labels are checked and sorted once.
 */
export class SampleNormaliser {
  readonly rules: LabelRules;
  readonly cache: SeriesCache;
  readonly scanMemory: LabelSetScanMemory;
  /** The series of label sets this batch writes without interning them. */
  readonly oneOff: OneOffSeries;
  private lastInput: object | undefined;
  private lastSet: LabelSet | undefined;
  /** The labels object rowSeriesOf decided on last in this message, and whether it went one-off. */
  private rowInput: object | undefined;
  private rowOneOff = false;
  private planWorkspace: PlanWorkspace | undefined;
  private readonly nameLabels = new Map<string, Label>();
  /** The metric name read last at each of a report's first positions (see nameText). */
  private readonly recentNames: Array<string | undefined> = [];

  /** `cacheLimits`: the series cache's budget (seriesCacheLimitsFor the function's memory), or a series count. */
  constructor(config: PipelineConfig = DEFAULT_PIPELINE_CONFIG, cacheLimits?: SeriesCacheLimits | number) {
    this.rules = new LabelRules(config);
    this.cache = new SeriesCache(cacheLimits);
    this.oneOff = new OneOffSeries(config);
    this.scanMemory = new LabelSetScanMemory(this.cache, this.oneOff);
  }

  /** Every series the cache holds, by id: `identities[i].id === i` (ids of forgotten series are reused). */
  get identities(): readonly SeriesIdentity[] {
    return this.cache.identities;
  }

  /** The buffers planBatch reuses with this normaliser from batch to batch. */
  get workspace(): PlanWorkspace {
    return (this.planWorkspace ??= new PlanWorkspace());
  }

  /** Called before each batch: lets the cache forget what it must. */
  startBatch(): void {
    this.oneOff.clear();
    if (!this.cache.startBatch()) return;
    this.lastInput = undefined;
    this.lastSet = undefined;
  }

  /**
   * The series of a decoded sample: the same object for every sample of the same label set.
   * @throws InvalidMessageError naming the message and the field.
   */
  seriesOf(sample: DecodedSample, messageId: string): SeriesIdentity {
    let set = this.lastSet;
    if (set === undefined || this.lastInput !== sample.labels) {
      set = this.labelSetOf(sample, messageId);
      this.lastInput = sample.labels;
      this.lastSet = set;
    }
    return (
      set.series.get(sample.name) ??
      set.byRawName.get(sample.name) ??
      this.seriesNamed(set, sample, messageId)
    );
  }

  /** The hash by which takesOneOff knows the labels object text[start, end) (start -1: none). */
  labelsHash(text: string, start: number, end: number): number {
    return start < 0 ? this.cache.textHash('', 0, 0) : this.cache.textHash(text, start, end);
  }

  /** The cached label set of the scanned labels object text[start, end) (start -1: none), if the cache holds it. */
  knownLabels(text: string, start: number, end: number): LabelSet | undefined {
    return start < 0 ? this.cache.byText('', 0, 0) : this.cache.byText(text, start, end);
  }

  /**
   * Whether the label set of the scanned labels object text[start, end) (start -1: none), which the cache does not
   * hold, is written one-off in this batch: oneOff then holds it for its series (oneOff.add).
   */
  takesOneOff(text: string, start: number, end: number, hash: number): boolean {
    const admission = this.cache.admission(hash);
    return admission !== 'intern' && this.oneOff.useLabels(text, start, end, admission === 'one-off again');
  }

  /**
   * The checked labels of a scanned body whose labels object is text[start, end) (start -1: no labels), which
   * knownLabels did not find, interned; or undefined when they are invalid: the message then goes through the
   * slow path, whose error names the field.
   */
  labelsOfScanned(text: string, start: number, end: number, messageId: string): LabelSet | undefined {
    const raw = start < 0 ? '' : text.slice(start, end);
    // The scanner only passes objects of plain string values, so JSON.parse yields what decodeLabels would.
    const labels = start < 0 ? NO_LABELS : (JSON.parse(raw) as Record<string, string>);
    const set = orUndefined(() => this.checkedLabelSet(standIn('', labels), messageId));
    if (set !== undefined && this.cache.worthRemembering(set)) this.cache.rememberText(flatCopy(raw), set);
    return set;
  }

  /**
   * The series of metric text[start, end) at `position` of a scanned body with these labels, or undefined when
   * the name is invalid (the slow path then explains why).
   */
  seriesOfScanned(
    labels: LabelSet,
    text: string,
    start: number,
    end: number,
    position: number,
    messageId: string,
  ): SeriesIdentity | undefined {
    const last = labels.recent[position];
    if (last !== undefined && last.name.length === end - start && text.startsWith(last.name, start))
      return last.series;
    const name = this.nameText(text, start, end, position);
    const series =
      labels.series.get(name) ??
      labels.byRawName.get(name) ??
      orUndefined(() => this.seriesNamed(labels, standIn(name, NO_LABELS), messageId));
    if (series !== undefined && this.cache.worthRemembering(labels))
      this.scanMemory.rememberName(labels, position, name, series);
    return series;
  }

  /**
   * Metric name text[start, end) at `position` of a report as a flat string: the one read last at that position
   * when it is equal (a new device sends the names every device sends), so a new label set's names cost no copies.
   */
  private nameText(text: string, start: number, end: number, position: number): string {
    const known = position < RECENT_NAME_POSITIONS ? this.recentNames[position] : undefined;
    if (known !== undefined && known.length === end - start && text.startsWith(known, start)) return known;
    const name = flatCopy(text.slice(start, end));
    if (position < RECENT_NAME_POSITIONS) this.recentNames[position] = name;
    return name;
  }

  /** The series of a metric name not seen with these labels before (in this spelling). */
  private seriesNamed(set: LabelSet, sample: DecodedSample, messageId: string): SeriesIdentity {
    const name = this.rules.metricNameOf(sample, messageId);
    let series = set.series.get(name);
    if (series === undefined) {
      this.rules.checkSeries(set.labels, name, sample, messageId);
      series = this.cache.addSeries(set, name, withMetricName(set.labels, name, this.nameLabel(name)));
    }
    // A valid name is its own sanitised name, found in `series`; only other spellings need an entry.
    if (name !== sample.name) set.byRawName.set(sample.name, series);
    return series;
  }

  /** The `__name__` label of metric `name`, one object shared by the series of every label set. */
  private nameLabel(name: string): Label {
    let label = this.nameLabels.get(name);
    if (label === undefined) {
      // Bounded like the name caches: a flood of distinct names must not grow a warm Lambda's memory.
      if (this.nameLabels.size >= NAME_LABELS_LIMIT) this.nameLabels.clear();
      label = { name: METRIC_NAME_LABEL, value: name };
      this.nameLabels.set(name, label);
    }
    return label;
  }

  /** Called before each decoded message whose samples go through rowSeriesOf. */
  startDecodedMessage(): void {
    // OneOffSeries holds the set it took last, which a scanned message in between may have replaced.
    this.rowInput = undefined;
  }

  /**
   * The table's series number for a decoded sample: its identity's id, or ~k for one-off series k when the cache
   * does not hold its label set and the doorkeeper has not met its labels again (as for scanned bodies); undefined
   * when the one-off path declines the labels or the name, and the message must go through seriesOf.
   * `position`: the sample's place in its message, where a fleet sends the same names (see OneOffSeries.add).
   * @throws InvalidMessageError naming the message and the field.
   */
  rowSeriesOf(sample: DecodedSample, messageId: string, position = -1): number | undefined {
    if (this.rowInput !== sample.labels) {
      this.rowInput = sample.labels;
      this.rowOneOff = this.takesOneOffObject(sample.labels);
    }
    if (!this.rowOneOff) return this.seriesOf(sample, messageId).id;
    const k = this.oneOff.add(sample.name, 0, sample.name.length, position);
    return k < 0 ? undefined : ~k;
  }

  private takesOneOffObject(input: Readonly<Record<string, string>>): boolean {
    const raw = rawContentOf(input);
    if (raw === undefined) return false;
    const set = this.cache.byRaw(raw);
    if (set !== undefined) {
      // seriesOf then finds it without building the key again.
      this.lastInput = input;
      this.lastSet = set;
      return false;
    }
    const hash = hashRange(raw, 0, raw.length);
    const admission = this.cache.admission(hash);
    return admission !== 'intern' && this.oneOff.useLabelObject(input, admission === 'one-off again');
  }

  /** The label set of a decoded sample's label object, looked up by its raw content first. */
  private labelSetOf(sample: DecodedSample, messageId: string): LabelSet {
    const raw = rawContentOf(sample.labels);
    if (raw === undefined) return this.checkedLabelSet(sample, messageId);
    let set = this.cache.byRaw(raw);
    if (set === undefined) {
      set = this.checkedLabelSet(sample, messageId);
      if (this.cache.worthRemembering(set)) this.cache.rememberRaw(raw, set);
    }
    return set;
  }

  private checkedLabelSet(sample: DecodedSample, messageId: string): LabelSet {
    return this.cache.intern(this.rules.labelsOf(sample, messageId));
  }
}
