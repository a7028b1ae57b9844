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

test('the doorkeeper doubles at its 65th taken slot of 1,024, and keeps two texts that still share slots', () => {
  const doorkeeper = new Doorkeeper(1 << 16);
  // 2, 2050 and 4098 share two slots in tables of 1,024 and 2,048. Each note replaces the older of the two, so
  // these 102 notes leave two slots taken: 4098 (batch 101) and 2 (batch 102).
  doorkeeper.note(2, 1);
  doorkeeper.note(2050, 2);
  for (let batch = 3; batch <= 102; batch++) doorkeeper.note(2 + 2048 * (batch % 3), batch);
  for (let k = 2; k <= 63; k++) doorkeeper.note(2 * k, 200 + k);
  assert.equal(doorkeeper.slots, 1024, '64 slots taken');
  doorkeeper.note(128, 264);
  assert.equal(doorkeeper.slots, 2048, '65 slots taken');
  const [a, b] = [doorkeeper.find(4098), doorkeeper.find(2)];
  assert.ok(a >= 0 && b >= 0 && a !== b, 'both texts of the shared slots kept');
  assert.deepEqual([doorkeeper.batchAt(a), doorkeeper.batchAt(b)], [101, 102]);
});
