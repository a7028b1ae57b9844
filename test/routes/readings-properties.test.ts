// Properties of the readings flattening, on generated documents whose keys are chosen to collide after
// sanitising (a.b vs a_b, c-d vs c_d) and whose leaves mix numbers, booleans, strings and nulls.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidMessageError } from '../../functions/pipeline/errors.js';
import { displayPath, type PathLevel } from '../../functions/routes/flatten.js';
import type { RouteConfig } from '../../functions/routes/model.js';
import { route } from './support/routes.js';

const key = fc.constantFrom('a', 'b', 'a_b', 'c-d', 'c_d', 'x', '0', 'é');
const leaf = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
  fc.constantFrom('ON', 'OFF', 'idle', 'n/a', '12.5'),
  fc.constant(null),
);
const { document } = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('object'), tie('array')),
  array: fc.array(tie('node'), { maxLength: 3 }),
  object: fc.dictionary(key, tie('node'), { maxKeys: 4 }),
  document: fc.dictionary(key, tie('node'), { minKeys: 1, maxKeys: 5 }),
}));
const excludes = fc.subarray(['a', 'x', '*.b', '**.c_d', 'b.0'], { maxLength: 2 });

const VALUE_MAP = { ON: 1, OFF: 0 };

/** The reference: every leaf the rules make numeric, by path, without the excluded ones. */
function expectedLeaves(
  value: unknown,
  exclude: readonly string[],
  path: PathLevel[] = [],
): Array<[string, number]> {
  if (Array.isArray(value)) return value.flatMap((item, i) => expectedLeaves(item, exclude, [...path, i]));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => expectedLeaves(v, exclude, [...path, k]));
  }
  if (exclude.some((pattern) => excludes_(pattern.split('.'), path.map(String)))) return [];
  const number =
    typeof value === 'number'
      ? value
      : typeof value === 'boolean'
        ? Number(value)
        : typeof value === 'string'
          ? ((VALUE_MAP as Record<string, number>)[value] ?? (value === '12.5' ? 12.5 : undefined))
          : undefined;
  return number === undefined ? [] : [[displayPath('payload', path), number]];
}

/** A pattern excludes a path when it matches the path or an ancestor. */
function excludes_(pattern: string[], path: string[]): boolean {
  if (pattern.length === 0) return true;
  const [head, ...rest] = pattern;
  if (head === '**') return path.some((_, k) => excludes_(rest, path.slice(k))) || excludes_(rest, []);
  if (path.length === 0) return false;
  return (head === '*' || head === path[0]) && excludes_(rest, path.slice(1));
}

function config(exclude: string[]): RouteConfig {
  return { name: 'r', topic: 't/{device}', format: 'readings', valueMap: VALUE_MAP, exclude };
}

function decode(text: string, exclude: string[]) {
  try {
    return route(config(exclude), { payload: text, topic: 't/d-1' });
  } catch (error) {
    if (error instanceof InvalidMessageError) return error;
    throw error;
  }
}

test('flattening is deterministic: the same payload gives the same samples, or the same error', () => {
  fc.assert(
    fc.property(document, excludes, (doc, exclude) => {
      const text = JSON.stringify(doc);
      const first = decode(text, exclude);
      const second = decode(JSON.stringify(JSON.parse(text)), exclude);
      if (first instanceof InvalidMessageError) assert.equal(String(second), String(first));
      else assert.deepEqual(second instanceof InvalidMessageError ? second : second.samples, first.samples);
    }),
    { numRuns: 300 },
  );
});

test('no two leaves share a metric name silently: distinct names, or an error naming both paths', () => {
  fc.assert(
    fc.property(document, excludes, (doc, exclude) => {
      const result = decode(JSON.stringify(doc), exclude);
      if (result instanceof InvalidMessageError) {
        if (/comes from both/.test(result.reason)) {
          const [, a, b] = /comes from both (\S+) and (\S+);/.exec(result.reason) ?? [];
          assert.ok(a && b && a !== b, result.reason);
        } else assert.match(result.reason, /no numeric values/);
        return;
      }
      const names = result.samples.map((s) => s.name);
      assert.equal(new Set(names).size, names.length, names.join(' '));
    }),
    { numRuns: 500 },
  );
});

test('every numeric leaf not excluded yields exactly one sample', () => {
  fc.assert(
    fc.property(document, excludes, (doc, exclude) => {
      const text = JSON.stringify(doc);
      const expected = expectedLeaves(JSON.parse(text), exclude);
      const result = decode(text, exclude);
      if (result instanceof InvalidMessageError) {
        if (expected.length === 0) assert.match(result.reason, /no numeric values/);
        else assert.match(result.reason, /comes from both/);
        return;
      }
      assert.deepEqual(
        result.samples.map((s) => [s.path, s.value]),
        expected,
      );
    }),
    { numRuns: 500 },
  );
});
