// Label validation: turns a decoded sample's labels into a complete, valid label list: sanitised names, no
// reserved `__` labels from input, empty values dropped, EXTRA_LABELS merged (the message wins), limits
// enforced, FORCED_LABELS set (they win over the message), and the labels sorted by the byte order of their names
// as remote-write requires.
import { DEFAULT_PIPELINE_CONFIG, type PipelineConfig, type PipelineLimits } from './config.js';
import { InvalidMessageError } from './errors.js';
import type { DecodedSample, Label } from './model.js';
import { isValidLabelName, NameSanitiser } from './names.js';

export const METRIC_NAME_LABEL = '__name__';

/**
 * Byte order of two label names. Names are ASCII once sanitised, where UTF-16 code-unit order (JS `<`) equals
 * UTF-8 byte order; `localeCompare` would not (it puts `_` and case elsewhere).
 */
export function compareLabelNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * UTF-8 bytes of `text` when they exceed `limit`, as receivers count label lengths (Cortex compares Go string
 * lengths). A string of n UTF-16 units has between n and 3n bytes, so the exact count is taken only in between.
 */
export function exceedsBytes(text: string, limit: number): number | undefined {
  if (text.length > limit) return Buffer.byteLength(text, 'utf8');
  if (text.length * 3 <= limit) return undefined;
  const bytes = Buffer.byteLength(text, 'utf8');
  return bytes > limit ? bytes : undefined;
}

/** Label sets up to this size are sorted by insertion: Array.prototype.sort allocates scratch space per call. */
const INSERTION_SORT_MAX = 16;

/** Sorts `labels` in place by name (byte order) and returns them; names are distinct. */
function sortByName(labels: Label[]): Label[] {
  if (labels.length > INSERTION_SORT_MAX) return labels.sort((a, b) => compareLabelNames(a.name, b.name));
  for (let i = 1; i < labels.length; i++) {
    const label = labels[i]!;
    let j = i - 1;
    while (j >= 0 && labels[j]!.name > label.name) {
      labels[j + 1] = labels[j]!;
      j--;
    }
    labels[j + 1] = label;
  }
  // A copy of exactly this length: the array is kept with its label set, and push() left it room for more.
  return labels.slice();
}

/** Validates configured labels once (at cold start): a bad configuration is the operator's error, not a message's. */
export function prepareExtraLabels(
  extra: Readonly<Record<string, string>>,
  limits: PipelineLimits = DEFAULT_PIPELINE_CONFIG.limits,
  kind = 'extra label',
): Label[] {
  const labels: Label[] = [];
  for (const [name, value] of Object.entries(extra)) {
    if (typeof value !== 'string') throw new Error(`${kind} ${name}: value must be a string`);
    if (!isValidLabelName(name)) throw new Error(`${kind} ${JSON.stringify(name)}: not a valid label name`);
    if (name.startsWith('__')) throw new Error(`${kind} ${name}: names starting with __ are reserved`);
    if (name.length > limits.maxLabelNameLength) throw new Error(`${kind} ${name}: name too long`);
    if (exceedsBytes(value, limits.maxLabelValueLength) !== undefined)
      throw new Error(`${kind} ${name}: value too long`);
    if (value !== '') labels.push({ name, value });
  }
  return labels.sort((a, b) => compareLabelNames(a.name, b.name));
}

function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}

export function fieldPath(sample: DecodedSample, field: string): string {
  return sample.path ? `${sample.path}.${field}` : field;
}

/**
 * `labels` (sorted) with `__name__` = `name` inserted in its byte-order place, in an array of exactly that length
 * (series keep it). `nameLabel` is that label when the caller already holds one.
 */
export function withMetricName(
  labels: readonly Label[],
  name: string,
  nameLabel: Label = { name: METRIC_NAME_LABEL, value: name },
): Label[] {
  const out = new Array<Label>(labels.length + 1);
  let k = 0;
  for (; k < labels.length && labels[k]!.name < METRIC_NAME_LABEL; k++) out[k] = labels[k]!;
  out[k] = nameLabel;
  for (; k < labels.length; k++) out[k + 1] = labels[k]!;
  return out;
}

/** The checks of one configuration; holds the prepared configured labels and a cache of sanitised names. */
export class LabelRules {
  private readonly limits: PipelineLimits;
  private readonly extra: Label[];
  private readonly forced: Label[];
  private readonly forcedNames: ReadonlySet<string>;
  readonly names = new NameSanitiser();

  constructor(config: PipelineConfig = DEFAULT_PIPELINE_CONFIG) {
    this.limits = config.limits;
    this.extra = prepareExtraLabels(config.extraLabels, config.limits);
    this.forced = prepareExtraLabels(config.forcedLabels ?? {}, config.limits, 'forced label');
    this.forcedNames = new Set(this.forced.map((label) => label.name));
  }

  /**
   * The checked labels of a sample's label object (configured labels merged), sorted by name.
   * @throws InvalidMessageError naming the field.
   */
  labelsOf(sample: DecodedSample, messageId: string): Label[] {
    const input = sample.labels;
    for (const raw in input) if (!isValidLabelName(raw)) return this.sanitisedLabelsOf(sample, messageId);
    // Every name is already valid, so sanitising changes none and no two can clash: no map of origins needed.
    const labels: Label[] = [];
    for (const raw in input) {
      const value = this.valueOf(sample, raw, messageId);
      if (value === '') continue; // an empty value means the label is absent
      const name = this.checkedName(raw, value, sample, messageId);
      // A forced label replaces the message's, whatever its value.
      if (!this.forcedNames.has(name)) labels.push({ name, value });
    }
    for (const label of this.forced) labels.push(label);
    for (const label of this.extra) {
      const present = Object.hasOwn(input, label.name) && input[label.name] !== '';
      if (!present && !this.forcedNames.has(label.name)) labels.push(label);
    }
    return sortByName(labels);
  }

  /** The string value of label `raw`. @throws InvalidMessageError when it is not a string. */
  private valueOf(sample: DecodedSample, raw: string, messageId: string): string {
    const value = sample.labels[raw];
    if (typeof value === 'string') return value;
    throw new InvalidMessageError(messageId, fieldPath(sample, `labels.${raw}`), 'expected a string value');
  }

  /** labelsOf for a label object with a name to sanitise: two names may then become one. */
  private sanitisedLabelsOf(sample: DecodedSample, messageId: string): Label[] {
    const labels: Label[] = [];
    const origin = new Map<string, string>();
    for (const raw in sample.labels) {
      const value = this.valueOf(sample, raw, messageId);
      if (value === '') continue;
      const name = this.checkedName(raw, value, sample, messageId);
      const clash = origin.get(name);
      if (clash !== undefined) {
        throw new InvalidMessageError(
          messageId,
          fieldPath(sample, `labels.${raw}`),
          `labels ${quote(clash)} and ${quote(raw)} both become ${quote(name)} once sanitised`,
        );
      }
      origin.set(name, raw);
      if (!this.forcedNames.has(name)) labels.push({ name, value });
    }
    for (const label of this.forced) labels.push(label);
    for (const label of this.extra)
      if (!origin.has(label.name) && !this.forcedNames.has(label.name)) labels.push(label);
    return sortByName(labels);
  }

  /** The sanitised name of label `raw` with a non-empty `value`, once both pass the limits. */
  private checkedName(raw: string, value: string, sample: DecodedSample, messageId: string): string {
    const name = this.names.labelName(raw);
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
    return name;
  }

  /** The sanitised metric name of a sample. @throws InvalidMessageError when it is empty. */
  metricNameOf(sample: DecodedSample, messageId: string): string {
    const name = this.names.metricName(sample.name);
    if (name === '')
      throw new InvalidMessageError(messageId, fieldPath(sample, 'name'), 'metric name is empty');
    return name;
  }

  /**
   * Checks a new series: metric `name` on the checked `labels`.
   * @throws InvalidMessageError when the name is too long or the series has too many labels.
   */
  checkSeries(labels: readonly Label[], name: string, sample: DecodedSample, messageId: string): void {
    const nameBytes = exceedsBytes(name, this.limits.maxLabelValueLength);
    if (nameBytes !== undefined) {
      throw new InvalidMessageError(
        messageId,
        fieldPath(sample, 'name'),
        `metric name is ${nameBytes} bytes, the limit is ${this.limits.maxLabelValueLength}`,
      );
    }
    if (labels.length + 1 > this.limits.maxLabelsPerSeries) {
      throw new InvalidMessageError(
        messageId,
        fieldPath(sample, 'labels'),
        `series ${name} has ${labels.length + 1} labels (with __name__ and extra labels), the limit is ${this.limits.maxLabelsPerSeries}`,
      );
    }
  }
}
