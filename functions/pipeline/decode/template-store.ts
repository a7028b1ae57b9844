// Templates: a body's text around its numbers, learnt from one body of a label set. A device sends the same
// fields in the same order with the same names every time; only the timestamp and the values change. A later body
// with these labels that equals the template but for its numbers holds the same fields, names and series, so the
// scanner reads it by comparing a few runs of text instead of checking every character again.
import type { ScannedObject } from './scanned-object.js';

/**
 * The label-independent part of a template, shared by every label set whose bodies look alike: a fleet has a few
 * layouts and thousands of devices, and one shared copy stays in the CPU cache where thousands would not.
 */
export interface TemplateLayout {
  /** The text before the labels object, e.g. `{"labels":`. */
  readonly head: string;
  /** The text after the labels object, cut at the numbers: segments[0], number 0, segments[1], …, the last. */
  readonly segments: readonly string[];
  /** What number h holds: -1 the timestamp, i >= 0 the value of sample i. */
  readonly holes: readonly number[];
  /** Sample i's name is at nameOffset[i] of segments[nameSegment[i]], nameLength[i] long. */
  readonly nameSegment: readonly number[];
  readonly nameOffset: readonly number[];
  readonly nameLength: readonly number[];
}

export interface ScanTemplate<S> {
  readonly layout: TemplateLayout;
  /** Sample i's series. */
  readonly series: readonly S[];
  /**
   * The numbers the caller gave these series (the planner's row ids), when it did: a body read through the template
   * then needs no series object, each of which sits elsewhere in memory.
   */
  readonly ids?: Int32Array;
}

/** Layouts kept at most; a layout is as varied as the bodies' text outside their numbers may be. */
const MAX_LAYOUTS = 1000;

/**
 * A flat copy of a slice. V8 may keep a slice as a view into the whole body, which would keep that body alive
 * and makes every comparison against it several times slower. Scanned text holds no lone surrogates, so the
 * UTF-8 round trip returns it unchanged.
 */
export function flatCopy(slice: string): string {
  return Buffer.from(slice, 'utf8').toString('utf8');
}

/** A number in a body's text after its labels object: -1 the timestamp, i >= 0 the value of sample i. */
interface Hole {
  readonly start: number;
  readonly end: number;
  readonly hole: number;
}

/** The numbers after the labels object, in text order; undefined when one lies before it (no template then). */
function holesOf(out: ScannedObject<unknown, unknown>): Hole[] | undefined {
  const holes: Hole[] = [];
  if (out.timestampStart >= 0) {
    if (out.timestampStart < out.labelsEnd) return undefined;
    holes.push({ start: out.timestampStart, end: out.timestampEnd, hole: -1 });
  }
  for (let i = 0; i < out.count; i++) {
    if (out.valueStart[i]! < out.labelsEnd) return undefined;
    holes.push({ start: out.valueStart[i]!, end: out.valueEnd[i]!, hole: i });
  }
  return holes.sort((a, b) => a.start - b.start);
}

/** The layout of a scanned body, or undefined when a metric name does not lie inside one segment. */
function layoutOf(
  text: string,
  out: ScannedObject<unknown, unknown>,
  holes: readonly Hole[],
): TemplateLayout | undefined {
  const segments: string[] = [];
  const segmentStart: number[] = [];
  let at = out.labelsEnd;
  for (const { start, end } of holes) {
    segmentStart.push(at);
    segments.push(flatCopy(text.slice(at, start)));
    at = end;
  }
  segmentStart.push(at);
  segments.push(flatCopy(text.slice(at)));
  const nameSegment: number[] = [];
  const nameOffset: number[] = [];
  const nameLength: number[] = [];
  for (let i = 0; i < out.count; i++) {
    const start = out.nameStart[i]!;
    const end = out.nameEnd[i]!;
    let k = segmentStart.length - 1;
    while (k > 0 && segmentStart[k]! > start) k--;
    if (start < out.labelsEnd || end > segmentStart[k]! + segments[k]!.length) return undefined;
    nameSegment.push(k);
    nameOffset.push(start - segmentStart[k]!);
    nameLength.push(end - start);
  }
  const head = flatCopy(text.slice(0, out.labelsStart));
  const holeKinds = holes.map((h) => h.hole);
  return { head, segments, holes: holeKinds, nameSegment, nameOffset, nameLength };
}

/** The layout of a body the scan accepted, or undefined when it has none (no labels, or a number before them). */
export function layoutOfScan(text: string, out: ScannedObject<unknown, unknown>): TemplateLayout | undefined {
  if (out.labelsStart < 0) return undefined;
  const holes = holesOf(out);
  return holes === undefined ? undefined : layoutOf(text, out, holes);
}

/** The layouts learnt so far, shared between label sets, and the head the scanner tries first. */
export class TemplateStore {
  private readonly layouts = new Map<string, TemplateLayout>();
  /** The head of the template learnt last: nearly every device's bodies start the same way. */
  lastHead = '';

  get size(): number {
    return this.layouts.size;
  }

  /**
   * The template of a body the scan accepted, whose samples turned out to belong to `series` (one per sample, in
   * order; a longer scratch array is fine); undefined for a body without labels. Makes its head the one tried first.
   * `idOf`, when given, numbers the series for ScanTemplate.ids.
   */
  learn<S>(
    text: string,
    out: ScannedObject<unknown, S>,
    series: readonly S[],
    idOf?: (series: S) => number,
  ): ScanTemplate<S> | undefined {
    if (series.length < out.count) return undefined;
    const fresh = layoutOfScan(text, out);
    if (fresh === undefined) return undefined;
    const key = JSON.stringify(fresh);
    let layout = this.layouts.get(key);
    if (layout === undefined) {
      if (this.layouts.size >= MAX_LAYOUTS) this.layouts.clear();
      layout = fresh;
      this.layouts.set(key, layout);
    }
    this.lastHead = layout.head;
    const kept = series.slice(0, out.count);
    return { layout, series: kept, ids: idOf === undefined ? undefined : Int32Array.from(kept, idOf) };
  }
}
