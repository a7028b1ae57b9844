// The scanner's memory of earlier bodies, per label set: which labels object text stands for which label set,
// which metric name came at which position of a report, and the template of the set's bodies.
import type { SeriesIdentity } from './model.js';
import type { ScanMemory, ScannedObject } from './decode/scanned-object.js';
import { TemplateStore, type ScanTemplate } from './decode/template-store.js';
import type { OneOffSeries } from './one-off-series.js';
import type { LabelSet, SeriesCache } from './series-cache.js';
import { appended } from './small-map.js';

/** Templates learnt per label set at most: bodies that vary outside their numbers stop learning. */
const MAX_TEMPLATES_PER_LABEL_SET = 4;
/** Bodies longer than this teach no template: telemetry bodies are a few hundred characters. */
const MAX_TEMPLATE_BODY_CHARS = 2048;

export interface RecentName {
  readonly name: string;
  readonly series: SeriesIdentity;
}

/** What the scanner remembers of one label set's bodies (fields of the LabelSet itself). */
export interface LabelSetScanState {
  /**
   * The metric name last seen at each position of a report's "metrics", and its series. A device sends the same
   * metrics in the same order, so a name is matched in the body text, with no string made.
   */
  recent: Array<RecentName | undefined>;
  /** The layout of the last scanned body with these labels that was not read through a template. */
  template: ScanTemplate<SeriesIdentity> | undefined;
  /** How many templates were learnt for these labels. */
  templatesLearnt: number;
}

/** The ScanMemory of one normaliser: label sets come from its series cache, layouts from its template store. */
export class LabelSetScanMemory implements ScanMemory<LabelSet, SeriesIdentity> {
  private readonly templates = new TemplateStore();

  /** `layouts`: the one-off path's layout of labels objects (see labelsEnd). */
  constructor(
    private readonly cache: SeriesCache,
    private readonly layouts?: Pick<OneOffSeries, 'labelsEnd'>,
  ) {}

  labelsAt(text: string, start: number, end: number): LabelSet | undefined {
    return this.cache.byText(text, start, end);
  }

  labelsEnd(text: string, start: number): number {
    return this.layouts === undefined ? -1 : this.layouts.labelsEnd(text, start);
  }

  nameAt(labels: LabelSet, position: number): RecentName | undefined {
    return labels.recent[position];
  }

  templateOf(labels: LabelSet): ScanTemplate<SeriesIdentity> | undefined {
    return labels.template;
  }

  get templateHead(): string {
    return this.templates.lastHead;
  }

  /** Remembers that metric `name` came at `position` of a body with these labels. */
  rememberName(labels: LabelSet, position: number, name: string, series: SeriesIdentity): void {
    const recent = labels.recent;
    const entry = { name, series };
    // Appended at its exact length (see appended): a report's names come in position order.
    if (position === recent.length) labels.recent = appended(recent, entry);
    else recent[position] = entry;
  }

  /**
   * Whether a template is worth learning from a body of `bodyLength` characters with these labels. A device whose
   * bodies differ outside their numbers (a sequence number, a receive time) would learn a template per message and
   * never use one; and a template holds a copy of the body's text, so large bodies are not learnt at all.
   */
  mayLearnTemplate(labels: LabelSet, bodyLength: number): boolean {
    // Only for a device that came back: in a fleet too large to cache, most devices are not seen again before
    // they are forgotten, and learning their templates was most of the miss path.
    return (
      labels.seenAgain &&
      labels.templatesLearnt < MAX_TEMPLATES_PER_LABEL_SET &&
      bodyLength <= MAX_TEMPLATE_BODY_CHARS
    );
  }

  /** Learns how bodies with these labels are laid out from one scanned body whose samples have `series`. */
  learnTemplate(
    labels: LabelSet,
    text: string,
    out: ScannedObject<LabelSet, SeriesIdentity>,
    series: readonly SeriesIdentity[],
  ): void {
    // The series' ids stay theirs while the set is held: the cache forgets series only with their set, and its
    // template with them.
    const template = this.templates.learn(text, out, series, (s) => s.id);
    if (template === undefined) return;
    // A device may change its layout: the last one is kept.
    labels.template = template;
    labels.templatesLearnt++;
    this.cache.countTemplate(labels, text.length);
  }
}
