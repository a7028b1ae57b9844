// What the object scanner reports about one body, and what it asks of the caller's memory of earlier bodies.
import { grown } from '../grow.js';
import type { ScanTemplate } from './template-store.js';

/**
 * What the caller already knows from earlier bodies, so the scan can recognise text instead of checking it
 * character by character. Whatever it returns stands for text that passed a full check before.
 */
export interface ScanMemory<L, S> {
  /** The label set whose labels object is exactly text[start, end), if one was seen before. */
  labelsAt(text: string, start: number, end: number): L | undefined;
  /** The metric name last seen at `position` of the metrics of bodies with these labels, and its series. */
  nameAt(labels: L, position: number): { readonly name: string; readonly series: S } | undefined;
  /** The template learnt from a body with these labels, if any. */
  templateOf(labels: L): ScanTemplate<S> | undefined;
  /** The text before the labels object of the template learnt last ('' before the first). */
  readonly templateHead: string;
  /**
   * Where the labels object at text[start] ends (the index after its '}') when it is laid out as one that passed
   * the full check, with plain string values; -1 when memory cannot tell (the scan then checks it).
   */
  labelsEnd?(text: string, start: number): number;
}

/** What a scan found; reused from message to message, so nothing is allocated per message. */
export class ScannedObject<L = unknown, S = unknown> {
  /** The JSON text of the `labels` object, [labelsStart, labelsEnd); -1 when the body has no labels. */
  labelsStart = -1;
  labelsEnd = -1;
  /** The label set ScanMemory recognised, if it did. */
  labels: L | undefined = undefined;
  /** For each sample, the series ScanMemory recognised by its name, if it did. */
  series: Array<S | undefined> = [];
  /** Whether the body was read through a template rather than scanned character by character. */
  viaTemplate = false;
  /** Read through a template whose series have ids (ScanTemplate.ids): sample i's series id is ids[i]. */
  ids: Int32Array | undefined = undefined;
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
    this.ids = undefined;
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
