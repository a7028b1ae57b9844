// The series of a grouped batch as later stages read them (split, encode, the delivery's ledger): a range of samples
// of the batch's columns and the series' encoded label fields.
import { labelsOfFields } from './label-fields.js';
import type { Label, SeriesIdentity, SeriesRange } from './model.js';
import { NO_ONE_OFF_SERIES } from './one-off-series.js';

/**
 * A series of a grouped batch, cached or one-off: samples [start, end) of its columns, label fields
 * fields[fieldsStart, fieldsEnd). One class for both kinds, so the code reading ranges sees one shape; a one-off
 * series' labels are decoded from its fields only when asked for. Grouping reuses these objects from batch to
 * batch (series.ts), so a range read after its plan was released may describe another batch's series.
 */
export class GroupedRange implements SeriesRange {
  /** The cached series, or undefined for a one-off one. */
  identity: SeriesIdentity | undefined = undefined;
  fields: Uint8Array = NO_ONE_OFF_SERIES.bytes;
  fieldsStart = 0;
  fieldsEnd = 0;
  first = 0;
  start = 0;
  end = 0;

  get labels(): readonly Label[] {
    return this.identity !== undefined
      ? this.identity.labels
      : labelsOfFields(this.fields.subarray(this.fieldsStart, this.fieldsEnd));
  }

  /** Sets every field; returns this. */
  set(
    identity: SeriesIdentity | undefined,
    fields: Uint8Array,
    fieldsStart: number,
    fieldsEnd: number,
    first: number,
    start: number,
    end: number,
  ): this {
    this.identity = identity;
    this.fields = fields;
    this.fieldsStart = fieldsStart;
    this.fieldsEnd = fieldsEnd;
    this.first = first;
    this.start = start;
    this.end = end;
    return this;
  }

  /** A new range (not reused) of samples [start, end) of the same series. */
  sub(start: number, end: number): GroupedRange {
    return new GroupedRange().set(
      this.identity,
      this.fields,
      this.fieldsStart,
      this.fieldsEnd,
      this.first,
      start,
      end,
    );
  }
}
