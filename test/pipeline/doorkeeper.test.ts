import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Doorkeeper } from '../../functions/pipeline/doorkeeper.js';

test('the doorkeeper starts small and doubles as texts arrive, up to its most slots', () => {
  const doorkeeper = new Doorkeeper(1 << 18);
  assert.equal(doorkeeper.slots, 1024);
  const sizes = new Set<number>();
  for (let k = 1; k <= 20_000; k++) {
    doorkeeper.note(Math.imul(k, 0x9e3779b1), 1);
    sizes.add(doorkeeper.slots);
  }
  assert.deepEqual([...sizes], [1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072, 262144]);
  assert.equal(new Doorkeeper(256).slots, 256, 'never more than its most slots');
});

test('growing the doorkeeper forgets no text, and keeps the batch each was met in', () => {
  const doorkeeper = new Doorkeeper(1 << 16);
  // 2 and 1026 share two slots in a table of 1,024 and split when it doubles.
  doorkeeper.note(2, 3);
  doorkeeper.note(1026, 4);
  // Hashes 4, 6, 8, … take slots of their own at every size from 1,024, so nothing is given up to make room.
  for (let k = 2; k <= 400; k++) doorkeeper.note(2 * k, 10 + k);
  assert.equal(doorkeeper.slots, 8192);
  assert.equal(doorkeeper.batchAt(doorkeeper.find(2)), 3);
  assert.equal(doorkeeper.batchAt(doorkeeper.find(1026)), 4);
  for (let k = 2; k <= 400; k++)
    assert.equal(doorkeeper.batchAt(doorkeeper.find(2 * k)), 10 + k, `hash ${2 * k}`);
  assert.equal(doorkeeper.find(1_000_001), -1);
});

test('a text met again keeps its slot; a third text in two taken slots replaces the older', () => {
  const doorkeeper = new Doorkeeper(1024);
  doorkeeper.note(2, 5);
  doorkeeper.note(1026, 6);
  doorkeeper.meet(doorkeeper.find(2), 7);
  // 2050 shares the two slots of 2 and 1026 in a table of 1,024: 1026, met in batch 6, is the older.
  doorkeeper.note(2050, 8);
  assert.equal(doorkeeper.find(1026), -1);
  assert.equal(doorkeeper.batchAt(doorkeeper.find(2)), 7);
  assert.equal(doorkeeper.batchAt(doorkeeper.find(2050)), 8);
});
