// The walk of `readings` and `shadow` payloads: every numeric leaf of a JSON document, with its path.
//
// Rules (docs/connecting-devices.md, "readings"):
// - objects: each key is one path level; the metric name joins the levels with `_` (`ENERGY.Total` → ENERGY_Total);
// - arrays: each element's index is one level, so `Power: [120, 118]` gives Power_0 and Power_1 (one series per
//   element; the index never becomes a label, which keeps label sets the same across a device's messages);
// - numbers are values; booleans 1/0; strings in valueMap map to their number; other strings that read as numbers
//   under the bridge's value rules ("12.5", "NaN", "+Inf") are values; any other string, and null, is ignored and
//   counted; empty objects and arrays give nothing.
import { InvalidMessageError } from '../pipeline/errors.js';
import { indexPath, keyPath, quote } from '../pipeline/decode/diagnostics.js';
import { parseNumericString } from '../pipeline/decode/value.js';
import type { PathPattern, Route } from './model.js';

/** Deeper documents are refused: the walk is recursive and telemetry is shallow. */
export const MAX_PAYLOAD_DEPTH = 32;

export type PathLevel = string | number;

/** `payload.ENERGY.Power[0]`: a field path as errors and `iotprom map` print it. */
export function displayPath(root: string, levels: readonly PathLevel[]): string {
  let path = root;
  for (const level of levels)
    path = typeof level === 'number' ? indexPath(path, level) : keyPath(path, level);
  return path;
}

/** Whether `pattern` matches `path` or one of its ancestors (`*` one level, `**` any number of levels). */
export function matchesPath(pattern: PathPattern, path: readonly PathLevel[], i = 0, j = 0): boolean {
  if (i === pattern.length) return true;
  const level = pattern[i]!;
  if (level === '**') {
    for (let k = j; k <= path.length; k++) if (matchesPath(pattern, path, i + 1, k)) return true;
    return false;
  }
  if (j === path.length) return false;
  return (level === '*' || level === String(path[j])) && matchesPath(pattern, path, i + 1, j + 1);
}

export interface Leaf {
  readonly path: readonly PathLevel[];
  readonly value: number;
}

/** What one walk found: the numeric leaves in document order and the fields it ignored. */
export interface Walk {
  readonly leaves: Leaf[];
  readonly ignored: string[];
}

/** The value a scalar gives, or undefined when it is ignored. */
function leafValue(route: Route, raw: string | number | boolean | null): number | undefined {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  if (raw === null) return undefined;
  return route.valueMap.get(raw) ?? parseNumericString(raw);
}

/** Walks the JSON `root`; `skip` holds the dotted paths of fields used as labels or timestamp. */
export class LeafWalker {
  private readonly leaves: Leaf[] = [];
  private readonly ignored: string[] = [];

  constructor(
    private readonly messageId: string,
    private readonly root: string,
    private readonly route: Route,
    private readonly skip: ReadonlySet<string>,
  ) {}

  walk(document: unknown): Walk {
    this.visit(document, []);
    return { leaves: this.leaves, ignored: this.ignored };
  }

  private selected(path: readonly PathLevel[]): boolean {
    if (this.skip.size > 0 && this.skip.has(path.join('.'))) return false;
    const { include, exclude } = this.route;
    if (include.length > 0 && !include.some((pattern) => matchesPath(pattern, path))) return false;
    return !exclude.some((pattern) => matchesPath(pattern, path));
  }

  private visit(value: unknown, path: PathLevel[]): void {
    if (path.length > MAX_PAYLOAD_DEPTH) {
      throw new InvalidMessageError(
        this.messageId,
        displayPath(this.root, path),
        `nested deeper than ${MAX_PAYLOAD_DEPTH} levels`,
      );
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) this.visit(value[i], [...path, i]);
      return;
    }
    if (typeof value === 'object' && value !== null) {
      for (const key in value) this.visit((value as Record<string, unknown>)[key], [...path, key]);
      return;
    }
    if (!this.selected(path)) return;
    const number = leafValue(this.route, value as string | number | boolean | null);
    if (number === undefined) {
      this.ignored.push(`${displayPath(this.root, path)} (${quote(value)})`);
      return;
    }
    if (typeof value === 'number' && !Number.isFinite(value)) {
      // JSON.parse makes a literal beyond float64 (1e400) Infinity: a typo, not an infinity.
      throw new InvalidMessageError(
        this.messageId,
        displayPath(this.root, path),
        'a number beyond the float64 range',
      );
    }
    this.leaves.push({ path, value: number });
  }
}
