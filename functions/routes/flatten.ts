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
import { sanitiseMetricName } from '../pipeline/names.js';
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

/** What a leaf's path gives, the same for every message: cached per route (PathCache). */
export interface PathInfo {
  readonly path: readonly PathLevel[];
  /** Field path for errors and `iotprom map`, e.g. `payload.ENERGY.Power[0]`. */
  readonly display: string;
  /** Sanitised metric name, route prefix included. */
  readonly name: string;
  /** False for excluded (or not included) leaves and for the fields used as labels or timestamp. */
  readonly selected: boolean;
}

export interface Leaf {
  readonly info: PathInfo;
  readonly value: number;
}

/** What one walk found: the numeric leaves in document order and the fields it ignored. */
export interface Walk {
  readonly leaves: Leaf[];
  readonly ignored: string[];
}

/** Most paths a route remembers; a fleet sends the same few dozen paths in every message. */
const PATH_CACHE_LIMIT = 10_000;

/**
 * Path facts of one route (selection, metric name, display path) by the path's key, so that a device's repeated
 * layout costs a map lookup per leaf instead of pattern matching, sanitising and path building.
 */
export class PathCache {
  private readonly entries = new Map<string, PathInfo>();

  constructor(
    private readonly route: Route,
    private readonly root: string,
    /** Dotted paths of the fields used as labels or timestamp. */
    private readonly skip: ReadonlySet<string>,
  ) {}

  info(key: string, levels: readonly PathLevel[]): PathInfo {
    let info = this.entries.get(key);
    if (info === undefined) {
      const path = levels.slice();
      info = {
        path,
        display: displayPath(this.root, path),
        name: sanitiseMetricName(this.route.metricPrefix + path.join('_')),
        selected: this.selects(path),
      };
      if (this.entries.size >= PATH_CACHE_LIMIT) this.entries.clear();
      this.entries.set(key, info);
    }
    return info;
  }

  private selects(path: readonly PathLevel[]): boolean {
    if (this.skip.size > 0 && this.skip.has(path.join('.'))) return false;
    const { include, exclude } = this.route;
    if (include.length > 0 && !include.some((pattern) => matchesPath(pattern, path))) return false;
    return !exclude.some((pattern) => matchesPath(pattern, path));
  }
}

/** The value a scalar gives, or undefined when it is ignored. */
function leafValue(route: Route, raw: string | number | boolean | null): number | undefined {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  if (raw === null) return undefined;
  return route.valueMap.get(raw) ?? parseNumericString(raw);
}

// Path keys: levels joined by separators no JSON key can confuse (a key holding one still gives a distinct key,
// because an index level is marked differently from a key level).
const KEY_LEVEL = '\u0000';
const INDEX_LEVEL = '\u0001';

/** Walks one JSON document of a route. */
export class LeafWalker {
  private readonly leaves: Leaf[] = [];
  private readonly ignored: string[] = [];
  private readonly levels: PathLevel[] = [];

  constructor(
    private readonly messageId: string,
    private readonly route: Route,
    private readonly paths: PathCache,
  ) {}

  walk(document: unknown): Walk {
    this.visit(document, '');
    return { leaves: this.leaves, ignored: this.ignored };
  }

  private visit(value: unknown, key: string): void {
    const levels = this.levels;
    if (levels.length > MAX_PAYLOAD_DEPTH) {
      const { display } = this.paths.info(key, levels);
      throw new InvalidMessageError(
        this.messageId,
        display,
        `nested deeper than ${MAX_PAYLOAD_DEPTH} levels`,
      );
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        levels.push(i);
        this.visit(value[i], key + INDEX_LEVEL + i);
        levels.pop();
      }
      return;
    }
    if (typeof value === 'object' && value !== null) {
      for (const name in value) {
        levels.push(name);
        this.visit((value as Record<string, unknown>)[name], key + KEY_LEVEL + name);
        levels.pop();
      }
      return;
    }
    const info = this.paths.info(key, levels);
    if (!info.selected) return;
    const number = leafValue(this.route, value as string | number | boolean | null);
    if (number === undefined) {
      this.ignored.push(`${info.display} (${quote(value)})`);
      return;
    }
    if (typeof value === 'number' && !Number.isFinite(value)) {
      // JSON.parse makes a literal beyond float64 (1e400) Infinity: a typo, not an infinity.
      throw new InvalidMessageError(this.messageId, info.display, 'a number beyond the float64 range');
    }
    this.leaves.push({ info, value: number });
  }
}
