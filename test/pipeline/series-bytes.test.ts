// The cache's label-field slabs: a view keeps its bytes whatever happens after it was handed out (copies, frees,
// compactions), a compaction moves live views without changing what they hold, and forgotten series do not keep
// slabs: after a compaction the slabs hold at most twice the live bytes, plus the slab being filled and one more.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MAX_SLABBED_BYTES, SeriesBytes, SLAB_BYTES } from '../../functions/pipeline/series-bytes.js';

function fieldsOf(seed: number, size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (seed * 31 + i * 7) & 0xff);
}

interface Held {
  view: Uint8Array;
  readonly expected: Uint8Array;
}

/** Whether a view holds what it was made from (assert.deepEqual on every view is slow). */
function holds({ view, expected }: Held): boolean {
  if (view.length !== expected.length) return false;
  for (let i = 0; i < view.length; i++) if (view[i] !== expected[i]) return false;
  return true;
}

/** One batch of a cache whose fleet changes: series made, then a share of those held forgotten at random. */
interface Round {
  readonly count: number;
  readonly size: number;
  /** Percent of the held series forgotten. */
  readonly share: number;
  readonly seed: number;
}

const round: fc.Arbitrary<Round> = fc.record({
  count: fc.integer({ min: 1, max: 800 }),
  size: fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 1, max: 200 }) },
    { weight: 1, arbitrary: fc.constant(MAX_SLABBED_BYTES + 1) },
  ),
  share: fc.integer({ min: 0, max: 100 }),
  seed: fc.nat(),
});

test('views keep their bytes through copies, frees and compactions; compaction bounds the slabs', () => {
  let compactions = 0;
  fc.assert(
    fc.property(fc.array(round, { minLength: 1, maxLength: 16 }), (rounds) => {
      const store = new SeriesBytes();
      // What the cache holds, and every view ever handed out (as a plan being delivered might still hold it).
      let live: Held[] = [];
      const handedOut: Held[] = [];
      let made = 0;
      for (const { count, size, share, seed } of rounds) {
        for (let n = 0; n < count; n++) {
          const expected = fieldsOf(made++, size);
          const held = { view: store.copy(expected), expected };
          assert.ok(holds(held));
          live.push(held);
          handedOut.push({ ...held });
        }
        // A pseudo-random share of the held series, spread over every slab.
        const kept: Held[] = [];
        live.forEach((held, i) => {
          if (((i * 2654435761 + seed) >>> 0) % 100 < share) store.free(held.view);
          else kept.push(held);
        });
        live = kept;
        // As the series cache does it: two passes at most.
        for (let pass = 0; pass < 2 && store.fragmented; pass++) {
          compactions++;
          for (const held of live) {
            held.view = store.moved(held.view);
            handedOut.push({ ...held });
          }
        }
        const liveBytes = live.reduce((sum, { view }) => sum + view.length, 0);
        assert.ok(
          store.slabBytes <= 2 * liveBytes + 2 * SLAB_BYTES,
          `${store.slabBytes} bytes of slabs for ${liveBytes} live bytes`,
        );
      }
      assert.ok(handedOut.every(holds), 'a view handed out earlier changed');
    }),
    { numRuns: 20 },
  );
  assert.ok(compactions > 20, `only ${compactions} compactions: the workload hardly fragments`);
});

test('a slab whose every series was freed is let go, and small fields share slabs', () => {
  const store = new SeriesBytes();
  const views = Array.from({ length: 1000 }, (_, i) => store.copy(fieldsOf(i, 80)));
  assert.equal(store.slabs, Math.ceil((1000 * 80) / SLAB_BYTES));
  assert.equal(new Set(views.map((v) => v.buffer)).size, store.slabs);
  for (const view of views) store.free(view);
  assert.equal(store.slabs, 0);
  assert.equal(store.fragmented, false);
});
