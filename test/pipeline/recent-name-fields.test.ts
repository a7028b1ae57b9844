// The name fields the one-off path copies by position: a remembered name is reused only when spelled exactly
// the same, and what it gives equals encoding and hashing the name in place.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  fieldsHash,
  hashFactor,
  nameFieldSize,
  putNameField,
} from '../../functions/pipeline/label-fields.js';
import { RecentNameFields } from '../../functions/pipeline/recent-name-fields.js';

function encoded(name: string): { field: number[]; hash: number; factor: number } {
  const field = new Uint8Array(nameFieldSize(name.length));
  putNameField(field, 0, name, 0, name.length);
  return { field: [...field], hash: fieldsHash(field, 0, field.length), factor: hashFactor(field.length) };
}

function held(names: RecentNameFields, position: number): { field: number[]; hash: number; factor: number } {
  return { field: [...names.field(position)], hash: names.hash[position]!, factor: names.factor[position]! };
}

test('a position gives the field and hash of the name it holds, read from inside a longer text', () => {
  const names = new RecentNameFields();
  const text = '{"temp":1,"temp_c":2}';
  assert.ok(names.hold(text, 2, 6, 0, 100));
  assert.deepEqual(held(names, 0), encoded('temp'));
  // A longer name that starts with the held one is another name.
  assert.ok(names.hold(text, 11, 17, 0, 100));
  assert.deepEqual(held(names, 0), encoded('temp_c'));
  // And a shorter one.
  assert.ok(names.hold(text, 2, 6, 0, 100));
  assert.deepEqual(held(names, 0), encoded('temp'));
  // Positions are independent.
  assert.ok(names.hold(text, 11, 17, 1, 100));
  assert.deepEqual(held(names, 0), encoded('temp'));
  assert.deepEqual(held(names, 1), encoded('temp_c'));
});

test('a name the one-off path would not take as it is is refused, and the position keeps what it held', () => {
  const names = new RecentNameFields();
  assert.ok(names.hold('humidity', 0, 8, 3, 100));
  assert.equal(names.hold('temp-c', 0, 6, 3, 100), false);
  assert.equal(names.hold('1st', 0, 3, 3, 100), false);
  assert.equal(names.hold('x'.repeat(11), 0, 11, 3, 10), false);
  assert.deepEqual(held(names, 3), encoded('humidity'));
});
