// The `readings` and `shadow` formats: numeric leaves of a JSON document become samples (flatten.ts walks it).
// readings: the whole payload, one timestamp (timestampField, else the envelope's received_at).
// shadow: `current.state.reported` of a Device Shadow `…/update/documents` message, each leaf timestamped from its
// `current.metadata.reported` entry (epoch seconds).
import { isPlainObject, keyPath, kindOf, quote } from '../pipeline/decode/diagnostics.js';
import { parseRfc3339 } from '../pipeline/decode/timestamp.js';
import { InvalidMessageError } from '../pipeline/errors.js';
import type { DecodedSample } from '../pipeline/model.js';
import { displayPath, LeafWalker, PathCache, type Leaf, type PathLevel } from './flatten.js';
import type { Route, TimestampUnit } from './model.js';

const PAYLOAD = 'payload';

/** The value at `path` inside `document`, or undefined. */
function lookup(document: unknown, path: readonly PathLevel[]): unknown {
  let node = document;
  for (const level of path) {
    if (Array.isArray(node)) node = node[Number(level)];
    else if (isPlainObject(node)) node = Object.hasOwn(node, String(level)) ? node[String(level)] : undefined;
    else return undefined;
  }
  return node;
}

const UNIT_MS: Record<Exclude<TimestampUnit, 'rfc3339'>, number> = {
  ms: 1,
  s: 1000,
  us: 0.001,
  ns: 0.000001,
};

/** Milliseconds of a timestamp field in `unit`, or undefined when it cannot be read so. */
export function timestampInUnit(raw: unknown, unit: TimestampUnit): number | undefined {
  if (unit === 'rfc3339') return typeof raw === 'string' ? parseRfc3339(raw) : undefined;
  if (typeof raw !== 'number' || !Number.isFinite(raw) || raw < 0) return undefined;
  const ms = Math.round(raw * UNIT_MS[unit]);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** The labels of `labelFields`: strings, numbers and booleans as text; a missing field gives no label. */
function fieldLabels(
  messageId: string,
  route: Route,
  document: unknown,
  root: string,
): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const { label, path } of route.labelFields) {
    const value = lookup(document, path);
    if (value === undefined || value === null) continue;
    if (typeof value === 'string') labels[label] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') labels[label] = String(value);
    else {
      throw new InvalidMessageError(
        messageId,
        displayPath(root, path),
        `labelFields: expected a string, number or boolean for label ${label}, got ${kindOf(value)} ${quote(value)}`,
      );
    }
  }
  return labels;
}

/** Two leaves with one metric name are an error naming both fields. */
function checkNames(messageId: string, leaves: readonly Leaf[]): void {
  const seen = new Map<string, Leaf>();
  for (const leaf of leaves) {
    const { name, display } = leaf.info;
    if (name === '') throw new InvalidMessageError(messageId, display, 'gives an empty metric name');
    const first = seen.get(name);
    if (first !== undefined) {
      throw new InvalidMessageError(
        messageId,
        display,
        `metric name ${name} comes from both ${first.info.display} and ${display}; ` +
          'rename one at the device or leave one out with exclude',
      );
    }
    seen.set(name, leaf);
  }
}

/** Result of a readings/shadow decode: samples plus the fields ignored by design. */
export interface MappedPayload {
  readonly samples: DecodedSample[];
  readonly ignored: string[];
}

/** The dotted paths of the fields used as labels or timestamp: they never become metrics. */
export function skipSet(route: Route): Set<string> {
  const skip = new Set(route.labelFields.map((field) => field.path.join('.')));
  if (route.timestampField) skip.add(route.timestampField.join('.'));
  return skip;
}

/** How a decode labels its samples and where it keeps its path facts (RouteDecoder keeps one per route). */
export interface MappingContext {
  readonly paths: PathCache;
  /** The samples' labels from the payload's labelFields (the envelope's win; see RouteDecoder). */
  readonly labels: (payloadLabels: Record<string, string>) => Readonly<Record<string, string>>;
}

/** A context without caching or envelope labels, for tests and one-off decodes. */
export function plainContext(route: Route): MappingContext {
  const root = route.format === 'shadow' ? REPORTED : PAYLOAD;
  return { paths: new PathCache(route, root, skipSet(route)), labels: (labels) => labels };
}

function samplesOf(
  leaves: readonly Leaf[],
  labels: Readonly<Record<string, string>>,
  time: (leaf: Leaf) => number,
) {
  const samples: DecodedSample[] = new Array(leaves.length);
  for (let i = 0; i < leaves.length; i++) {
    const leaf = leaves[i]!;
    samples[i] = {
      name: leaf.info.name,
      labels,
      value: leaf.value,
      timestampMs: time(leaf),
      path: leaf.info.display,
    };
  }
  return samples;
}

export function decodeReadings(
  messageId: string,
  route: Route,
  document: unknown,
  defaultTimestampMs: number,
  context: MappingContext = plainContext(route),
): MappedPayload {
  let timestampMs = defaultTimestampMs;
  if (route.timestampField) {
    const raw = lookup(document, route.timestampField);
    if (raw !== undefined) {
      const ms = timestampInUnit(raw, route.timestampUnit);
      if (ms === undefined) {
        const expected =
          route.timestampUnit === 'rfc3339'
            ? 'an RFC 3339 date-time with offset'
            : `a non-negative number of ${route.timestampUnit} since the Unix epoch`;
        throw new InvalidMessageError(
          messageId,
          displayPath(PAYLOAD, route.timestampField),
          `timestampField: expected ${expected}, got ${quote(raw)}`,
        );
      }
      timestampMs = ms;
    }
  }
  const labels = context.labels(fieldLabels(messageId, route, document, PAYLOAD));
  const { leaves, ignored } = new LeafWalker(messageId, route, context.paths).walk(document);
  checkNames(messageId, leaves);
  return { samples: samplesOf(leaves, labels, () => timestampMs), ignored };
}

const REPORTED = 'payload.current.state.reported';

function shadowObject(
  messageId: string,
  parent: unknown,
  key: string,
  where: string,
): Record<string, unknown> {
  const value = isPlainObject(parent) ? parent[key] : undefined;
  if (!isPlainObject(value)) {
    throw new InvalidMessageError(
      messageId,
      keyPath(where, key),
      `expected an object (a Device Shadow update/documents message), got ${value === undefined ? 'nothing' : `${kindOf(value)} ${quote(value)}`}`,
    );
  }
  return value;
}

/** A leaf's time: its metadata entry's `timestamp` (seconds), else the document's `timestamp`, else the default. */
function shadowTimestamp(metadata: unknown, path: readonly PathLevel[], documentMs: number): number {
  const entry = lookup(metadata, path);
  const seconds = isPlainObject(entry) ? entry.timestamp : undefined;
  return timestampInUnit(seconds, 's') ?? documentMs;
}

export function decodeShadow(
  messageId: string,
  route: Route,
  document: unknown,
  defaultTimestampMs: number,
  context: MappingContext = plainContext(route),
): MappedPayload {
  const current = shadowObject(messageId, document, 'current', PAYLOAD);
  const state = shadowObject(messageId, current, 'state', keyPath(PAYLOAD, 'current'));
  const reported = shadowObject(messageId, state, 'reported', keyPath(keyPath(PAYLOAD, 'current'), 'state'));
  const metadata = isPlainObject(current.metadata) ? current.metadata.reported : undefined;
  const documentMs =
    timestampInUnit(isPlainObject(document) ? document.timestamp : undefined, 's') ?? defaultTimestampMs;
  const labels = context.labels(fieldLabels(messageId, route, reported, REPORTED));
  const { leaves, ignored } = new LeafWalker(messageId, route, context.paths).walk(reported);
  checkNames(messageId, leaves);
  const time = (leaf: Leaf) => shadowTimestamp(metadata, leaf.info.path, documentMs);
  return { samples: samplesOf(leaves, labels, time), ignored };
}
