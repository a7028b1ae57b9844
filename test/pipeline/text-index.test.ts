import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TextIndex } from '../../functions/pipeline/text-index.js';

test('property: a TextIndex answers range lookups exactly as a Map answers the substring', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.string({ maxLength: 6 }), fc.integer()), { maxLength: 200 }),
      fc.array(fc.tuple(fc.string({ maxLength: 8 }), fc.nat(), fc.nat()), { maxLength: 50 }),
      (entries, probes) => {
        const index = new TextIndex<number>();
        const map = new Map<string, number>();
        for (const [key, value] of entries) {
          index.set(key, value);
          map.set(key, value);
        }
        assert.equal(index.size, map.size);
        for (const [key, value] of map) assert.equal(index.get(key), value);
        for (const [text, a, b] of probes) {
          const start = a % (text.length + 1);
          const end = start + (b % (text.length - start + 1));
          assert.equal(index.getRange(text, start, end), map.get(text.slice(start, end)));
        }
        // A key is found inside a longer text too, and only at its exact place and length.
        for (const [key, value] of map) {
          const text = `xx${key}yy`;
          assert.equal(index.getRange(text, 2, 2 + key.length), value);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('clear empties it', () => {
  const index = new TextIndex<number>();
  for (let i = 0; i < 1000; i++) index.set(`k${i}`, i);
  assert.equal(index.get('k999'), 999);
  index.clear();
  assert.equal(index.size, 0);
  assert.equal(index.get('k999'), undefined);
});
