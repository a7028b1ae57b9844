// Normalisation turns a decoded sample into a complete, valid label set: sanitised names, no reserved `__` labels
// from input, empty values dropped, EXTRA_LABELS merged (the message wins), limits enforced, and the labels
// sorted by the byte order of their names as remote-write requires (`Zone` < `__name__` < `app`).
import { flatCopy, type ScanMemory, type ScanTemplate } from './decode/object-scanner.js';
import { encodeLabelFields } from './encode.js';
import { TextIndex } from './text-index.js';
import { DEFAULT_PIPELINE_CONFIG, type PipelineConfig, type PipelineLimits } from './config.js';
import { InvalidMessageError } from './errors.js';
import type { DecodedSample, Label, SeriesIdentity } from './model.js';
import { isValidLabelName, sanitiseLabelName, sanitiseMetricName } from './names.js';

const METRIC_NAME_LABEL = '__name__';

/**
 * Byte order of two label names. Names are ASCII once sanitised, where UTF-16 code-unit order (JS `<`) equals
 * UTF-8 byte order; `localeCompare` would not (it puts `_` and case elsewhere).
 */
export function compareLabelNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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
 * UTF-8 bytes of `text`, as receivers count label lengths (Cortex compares Go string lengths). A string of n UTF-16
 * units has between n and 3n bytes, so the exact count is taken only when the limit lies in between.
 */
function exceedsBytes(text: string, limit: number): number | undefined {
  if (text.length > limit) return Buffer.byteLength(text, 'utf8');
  if (text.length * 3 <= limit) return undefined;
  const bytes = Buffer.byteLength(text, 'utf8');
  return bytes > limit ? bytes : undefined;
}

/** Validates EXTRA_LABELS once (at cold start): a bad configuration is the operator's error, not a message's. */
export function prepareExtraLabels(
  extra: Readonly<Record<string, string>>,
  limits: PipelineLimits = DEFAULT_PIPELINE_CONFIG.limits,
): Label[] {
  const labels: Label[] = [];
  for (const [name, value] of Object.entries(extra)) {
    if (typeof value !== 'string') throw new Error(`extra label ${name}: value must be a string`);
    if (!isValidLabelName(name))
      throw new Error(`extra label ${JSON.stringify(name)}: not a valid label name`);
    if (name.startsWith('__')) throw new Error(`extra label ${name}: names starting with __ are reserved`);
    if (name.length > limits.maxLabelNameLength) throw new Error(`extra label ${name}: name too long`);
    if (exceedsBytes(value, limits.maxLabelValueLength) !== undefined)
      throw new Error(`extra label ${name}: value too long`);
    if (value !== '') labels.push({ name, value });
  }
  return labels.sort((a, b) => compareLabelNames(a.name, b.name));
}

function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}

function fieldPath(sample: DecodedSample, field: string): string {
  return sample.path ? `${sample.path}.${field}` : field;
}

/** The labels of a message's label object (sanitised, checked, extra labels merged, sorted), and the series
 * built on them so far, by metric name. */
interface BaseLabels {
  readonly labels: Label[];
  readonly key: string;
  /** By sanitised metric name. */
  readonly series: Map<string, SeriesIdentity>;
  /** By metric name as the messages spell it: a hit needs no sanitising. */
  readonly byRawName: Map<string, SeriesIdentity>;
  /**
   * For scanned bodies: the metric name last seen at each position of a report's "metrics" and its series. A
   * device sends the same metrics in the same order, so a name is matched in the body text, with no string made.
   */
  readonly recent: Array<{ readonly name: string; readonly series: SeriesIdentity } | undefined>;
  /** The layout of the last scanned body with these labels that was not read through it. */
  template: ScanTemplate<SeriesIdentity> | undefined;
  /** How many templates were learnt for these labels: bodies that vary outside their numbers stop learning. */
  templatesLearnt: number;
}

/** Labels of a scanned body, before checking: the JSON text of its labels object, parsed once per text. */
export type ScannedLabels = BaseLabels;

/** A stand-in DecodedSample for the checks that only read names and labels. */
function probe(name: string, labels: Readonly<Record<string, string>>): DecodedSample {
  return { name, labels, value: 0, timestampMs: 0 };
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Series and label sets a normaliser keeps between batches at most (about 0.5 KB each). A fleet sends the same
 * series batch after batch, so a warm Lambda checks, sorts and encodes each label set once; a fleet larger than
 * this starts over whenever the cache fills, which costs what an uncached batch costs.
 */
export const DEFAULT_SERIES_CACHE_LIMIT = 50_000;

/** Templates learnt per label set at most (a device may change its layout a few times). */
const MAX_TEMPLATES_PER_LABEL_SET = 4;
/** Bodies longer than this teach no template: telemetry bodies are a few hundred characters. */
const MAX_TEMPLATE_BODY_CHARS = 2048;
/** Template text is counted against the cache limit as one entry per this many characters. */
const TEMPLATE_CHARS_PER_ENTRY = 512;

/**
 * Normalises samples, interning series: every sample of one label set gets the same SeriesIdentity object, so
 * grouping compares objects instead of hashing label strings. It also remembers the last label object it saw: a
 * report's samples share one, so their labels are checked and sorted once. One normaliser may serve batch after
 * batch (the Lambda handler keeps one per execution environment); `startBatch` bounds what it keeps.
 */
export class SampleNormaliser implements ScanMemory<ScannedLabels, SeriesIdentity> {
  private readonly limits: PipelineLimits;
  private readonly cacheLimit: number;
  private readonly extra: Label[];
  private readonly bases = new Map<string, BaseLabels>();
  /** Label objects seen before, by their raw content in input order: most devices send the same labels in the
   * same order every time, and this skips sanitising, checking and sorting them again. */
  private readonly byRawContent = new Map<string, BaseLabels>();
  private lastInput: object | undefined;
  private lastBase: BaseLabels | undefined;

  constructor(config: PipelineConfig = DEFAULT_PIPELINE_CONFIG, cacheLimit = DEFAULT_SERIES_CACHE_LIMIT) {
    this.limits = config.limits;
    this.extra = prepareExtraLabels(config.extraLabels, config.limits);
    this.cacheLimit = cacheLimit;
  }

  /** Called before each batch: forgets every series and label set once more than the limit are cached. */
  startBatch(): void {
    const cached =
      this.identities.length +
      this.byRawContent.size +
      this.byLabelsText.size +
      Math.floor(this.templateChars / TEMPLATE_CHARS_PER_ENTRY);
    if (cached <= this.cacheLimit) return;
    this.identities.length = 0;
    this.bases.clear();
    this.byRawContent.clear();
    this.byLabelsText.clear();
    this.templateChars = 0;
    this.lastInput = undefined;
    this.lastBase = undefined;
  }

  /** Every series interned so far; `identities[i].id === i`. */
  readonly identities: SeriesIdentity[] = [];

  /**
   * The series of a decoded sample: the same object for every sample of the same label set.
   * @throws InvalidMessageError naming the message and the field.
   */
  seriesOf(sample: DecodedSample, messageId: string): SeriesIdentity {
    let base = this.lastBase;
    if (base === undefined || this.lastInput !== sample.labels) {
      base = this.baseLabels(sample, messageId);
      this.lastInput = sample.labels;
      this.lastBase = base;
    }
    return base.byRawName.get(sample.name) ?? this.seriesNamed(base, sample, messageId);
  }

  /** Characters of the templates learnt since the caches were last cleared. */
  private templateChars = 0;

  /** Label sets of scanned bodies, by the JSON text of their labels object ('' for none). */
  private readonly byLabelsText = new TextIndex<BaseLabels>();

  labelsAt(text: string, start: number, end: number): ScannedLabels | undefined {
    return this.byLabelsText.getRange(text, start, end);
  }

  nameAt(labels: ScannedLabels, position: number): { name: string; series: SeriesIdentity } | undefined {
    return labels.recent[position];
  }

  templateOf(labels: ScannedLabels): ScanTemplate<SeriesIdentity> | undefined {
    return labels.template;
  }

  /**
   * Whether a template is worth learning from a body of `bodyLength` characters with these labels. A device whose
   * bodies differ outside their numbers (a sequence number, a receive time added by the IoT rule) would learn a
   * template per message and never use one, which cost far more than scanning; and a template holds a copy of
   * the body's text, so large bodies are not learnt at all.
   */
  mayLearnTemplate(labels: ScannedLabels, bodyLength: number): boolean {
    return labels.templatesLearnt < MAX_TEMPLATES_PER_LABEL_SET && bodyLength <= MAX_TEMPLATE_BODY_CHARS;
  }

  /** Remembers how bodies with these labels are laid out (a device may change it: the last one is kept). */
  rememberTemplate(labels: ScannedLabels, template: ScanTemplate<SeriesIdentity>, bodyLength: number): void {
    labels.template = template;
    labels.templatesLearnt++;
    // Counted against the cache limit (see startBatch): templates of devices with text of their own are not
    // shared between label sets.
    this.templateChars += bodyLength;
  }

  /**
   * The checked labels of a scanned body whose labels object is text[start, end) (start -1: no labels), or
   * undefined when they are invalid: the message then goes through the slow path, whose error names the field.
   */
  labelsOfScanned(text: string, start: number, end: number, messageId: string): ScannedLabels | undefined {
    let base = start < 0 ? this.byLabelsText.get('') : this.byLabelsText.getRange(text, start, end);
    if (base === undefined) {
      const raw = start < 0 ? '' : flatCopy(text.slice(start, end));
      // The scanner only passes objects of plain string values, so JSON.parse yields what decodeLabels would.
      const labels = start < 0 ? NO_LABELS : (JSON.parse(raw) as Record<string, string>);
      try {
        base = this.checkedBaseLabels(probe('', labels), messageId);
      } catch (error) {
        if (error instanceof InvalidMessageError) return undefined;
        throw error;
      }
      this.byLabelsText.set(raw, base);
    }
    return base;
  }

  /**
   * The series of metric text[start, end) at `position` of a scanned body with these labels, or undefined when
   * the name is invalid (the slow path then explains why).
   */
  seriesOfScanned(
    labels: ScannedLabels,
    text: string,
    start: number,
    end: number,
    position: number,
    messageId: string,
  ): SeriesIdentity | undefined {
    const last = labels.recent[position];
    if (last !== undefined && last.name.length === end - start && text.startsWith(last.name, start))
      return last.series;
    const name = flatCopy(text.slice(start, end));
    let series = labels.byRawName.get(name);
    if (series === undefined) {
      try {
        series = this.seriesNamed(labels, probe(name, NO_LABELS), messageId);
      } catch (error) {
        if (error instanceof InvalidMessageError) return undefined;
        throw error;
      }
    }
    labels.recent[position] = { name, series };
    return series;
  }

  /** The series of a metric name not seen with these labels before (in this spelling). */
  private seriesNamed(base: BaseLabels, sample: DecodedSample, messageId: string): SeriesIdentity {
    const name = sanitiseMetricName(sample.name);
    if (name === '')
      throw new InvalidMessageError(messageId, fieldPath(sample, 'name'), 'metric name is empty');
    const series = base.series.get(name) ?? this.newSeries(base, name, sample, messageId);
    base.byRawName.set(sample.name, series);
    return series;
  }

  private newSeries(
    base: BaseLabels,
    name: string,
    sample: DecodedSample,
    messageId: string,
  ): SeriesIdentity {
    const nameBytes = exceedsBytes(name, this.limits.maxLabelValueLength);
    if (nameBytes !== undefined) {
      throw new InvalidMessageError(
        messageId,
        fieldPath(sample, 'name'),
        `metric name is ${nameBytes} bytes, the limit is ${this.limits.maxLabelValueLength}`,
      );
    }
    if (base.labels.length + 1 > this.limits.maxLabelsPerSeries) {
      throw new InvalidMessageError(
        messageId,
        fieldPath(sample, 'labels'),
        `series ${name} has ${base.labels.length + 1} labels (with __name__ and extra labels), the limit is ${this.limits.maxLabelsPerSeries}`,
      );
    }
    const labels: Label[] = [];
    let inserted = false;
    for (const label of base.labels) {
      if (!inserted && label.name > METRIC_NAME_LABEL) {
        labels.push({ name: METRIC_NAME_LABEL, value: name });
        inserted = true;
      }
      labels.push(label);
    }
    if (!inserted) labels.push({ name: METRIC_NAME_LABEL, value: name });
    const series: SeriesIdentity = {
      id: this.identities.length,
      key: name + LABEL + base.key,
      labels,
      encodedLabels: encodeLabelFields(labels),
    };
    this.identities.push(series);
    base.series.set(name, series);
    return series;
  }

  private baseLabels(sample: DecodedSample, messageId: string): BaseLabels {
    const input = sample.labels;
    // Length-prefixed, so no two different label objects share a raw key whatever characters they hold.
    let raw = '';
    for (const name in input) {
      const value = input[name];
      if (typeof value !== 'string') return this.checkedBaseLabels(sample, messageId);
      raw += `${name.length}:${name}${value.length}:${value}`;
    }
    let base = this.byRawContent.get(raw);
    if (base === undefined) {
      base = this.checkedBaseLabels(sample, messageId);
      this.byRawContent.set(raw, base);
    }
    return base;
  }

  private checkedBaseLabels(sample: DecodedSample, messageId: string): BaseLabels {
    const labels: Label[] = [];
    const origin = new Map<string, string>();
    const input = sample.labels;
    for (const raw in input) {
      const value = input[raw];
      if (typeof value !== 'string') {
        throw new InvalidMessageError(
          messageId,
          fieldPath(sample, `labels.${raw}`),
          'expected a string value',
        );
      }
      if (value === '') continue; // an empty value means the label is absent
      const name = sanitiseLabelName(raw);
      const field = fieldPath(sample, `labels.${raw}`);
      if (name === '') throw new InvalidMessageError(messageId, field, 'label name is empty');
      if (name.startsWith('__')) {
        throw new InvalidMessageError(
          messageId,
          field,
          'label names starting with __ are reserved for Prometheus',
        );
      }
      // Sanitised names are ASCII: characters are bytes.
      if (name.length > this.limits.maxLabelNameLength) {
        throw new InvalidMessageError(
          messageId,
          field,
          `label name is ${name.length} bytes, the limit is ${this.limits.maxLabelNameLength}`,
        );
      }
      const valueBytes = exceedsBytes(value, this.limits.maxLabelValueLength);
      if (valueBytes !== undefined) {
        throw new InvalidMessageError(
          messageId,
          field,
          `label value is ${valueBytes} bytes, the limit is ${this.limits.maxLabelValueLength}`,
        );
      }
      const clash = origin.get(name);
      if (clash !== undefined) {
        throw new InvalidMessageError(
          messageId,
          field,
          `labels ${quote(clash)} and ${quote(raw)} both become ${quote(name)} once sanitised`,
        );
      }
      origin.set(name, raw);
      labels.push({ name, value });
    }
    for (const label of this.extra) if (!origin.has(label.name)) labels.push(label);
    labels.sort((a, b) => compareLabelNames(a.name, b.name));
    const key = keyOf(labels);
    let base = this.bases.get(key);
    if (base === undefined) {
      base = {
        labels,
        key,
        series: new Map(),
        byRawName: new Map(),
        recent: [],
        template: undefined,
        templatesLearnt: 0,
      };
      this.bases.set(key, base);
    }
    return base;
  }
}
