// The encoded `__name__` label field of the metric name met last at each position of a report, with its hash. A
// fleet's devices send the same metrics in the same order, so a one-off series usually copies its name field and
// hash from here instead of checking, encoding and hashing the name again (one-off-series.ts).
import { flatCopy } from './decode/template-store.js';
import { fieldsHash, hashFactor, nameFieldSize, putNameField } from './label-fields.js';
import { isValidMetricNameAt } from './names.js';

/** Report positions remembered; names further on are encoded in place each time. */
export const RECENT_NAME_POSITIONS = 32;

export class RecentNameFields {
  private readonly names: Array<string | undefined> = [];
  private readonly fields: Uint8Array[] = [];
  /** fieldsHash and hashFactor of each position's field. */
  readonly hash = new Int32Array(RECENT_NAME_POSITIONS);
  readonly factor = new Int32Array(RECENT_NAME_POSITIONS);

  /**
   * Makes `position` (below RECENT_NAME_POSITIONS) hold metric name text[start, end); false when the name is not
   * one the one-off path takes as it is (invalid, or longer than `maxLength`).
   */
  hold(text: string, start: number, end: number, position: number, maxLength: number): boolean {
    const known = this.names[position];
    // indexOf finding it right here compares faster than startsWith (see object-scanner.ts).
    if (known !== undefined && known.length === end - start && text.indexOf(known, start) === start)
      return true;
    if (end - start > maxLength || !isValidMetricNameAt(text, start, end)) return false;
    const field = new Uint8Array(nameFieldSize(end - start));
    putNameField(field, 0, text, start, end);
    this.names[position] = flatCopy(text.slice(start, end));
    this.fields[position] = field;
    this.hash[position] = fieldsHash(field, 0, field.length);
    this.factor[position] = hashFactor(field.length);
    return true;
  }

  /** The field `position` holds (after hold). */
  field(position: number): Uint8Array {
    return this.fields[position]!;
  }
}
