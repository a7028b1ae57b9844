// A map from strings to values that is looked up by a range of a longer text, with no substring made: the
// scanner finds a body's labels object by its text once per message, and a slice per lookup would be an
// allocation per message. Open addressing on a 32-bit hash of the characters; a hit is confirmed by
// comparing the stored key with the text, so collisions cost time, never correctness.

const EMPTY = -1;

export function hashRange(text: string, start: number, end: number): number {
  // FNV-1a over UTF-16 code units.
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

export class TextIndex<V> {
  private keys: string[] = [];
  private values: V[] = [];
  private hashes: number[] = [];
  /** Slot → entry number, or EMPTY; the length is a power of two, at most half full. */
  private slots = new Int32Array(64).fill(EMPTY);

  get size(): number {
    return this.keys.length;
  }

  /** The value stored under the key equal to text[start, end), whose hashRange the caller may pass. */
  getRange(text: string, start: number, end: number, hash = hashRange(text, start, end)): V | undefined {
    const length = end - start;
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    for (;;) {
      const entry = this.slots[slot]!;
      if (entry === EMPTY) return undefined;
      // The hash first: a probe passes other keys of the same length (a fleet's labels texts are), and indexOf
      // not finding one at `start` searches the rest of the text for it.
      if (this.hashes[entry] === hash) {
        const key = this.keys[entry]!;
        // indexOf finding the key right at `start` compares the characters with a memcmp-like loop.
        if (key.length === length && text.indexOf(key, start) === start) return this.values[entry];
      }
      slot = (slot + 1) & mask;
    }
  }

  get(key: string): V | undefined {
    return this.getRange(key, 0, key.length);
  }

  /** Stores `value` under `key`, replacing an earlier value of an equal key. */
  set(key: string, value: V): void {
    const hash = hashRange(key, 0, key.length);
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    for (;;) {
      const entry = this.slots[slot]!;
      if (entry === EMPTY) break;
      if (this.keys[entry] === key) {
        this.values[entry] = value;
        return;
      }
      slot = (slot + 1) & mask;
    }
    this.slots[slot] = this.keys.length;
    this.keys.push(key);
    this.values.push(value);
    this.hashes.push(hash);
    if (this.keys.length * 2 > this.slots.length) this.rehash(this.slots.length * 2);
  }

  /** Removes the entry of `key`, if any (backward-shift deletion keeps every probe chain unbroken). */
  delete(key: string): boolean {
    const mask = this.slots.length - 1;
    let slot = hashRange(key, 0, key.length) & mask;
    for (;;) {
      const entry = this.slots[slot]!;
      if (entry === EMPTY) return false;
      if (this.keys[entry] === key) break;
      slot = (slot + 1) & mask;
    }
    const entry = this.slots[slot]!;
    this.removeSlot(slot, mask);
    // The last entry moves into the freed entry number; its slot is repointed.
    const last = this.keys.length - 1;
    if (entry !== last) {
      let at = this.hashes[last]! & mask;
      while (this.slots[at] !== last) at = (at + 1) & mask;
      this.slots[at] = entry;
      this.keys[entry] = this.keys[last]!;
      this.values[entry] = this.values[last]!;
      this.hashes[entry] = this.hashes[last]!;
    }
    this.keys.pop();
    this.values.pop();
    this.hashes.pop();
    return true;
  }

  private removeSlot(hole: number, mask: number): void {
    let slot = hole;
    for (;;) {
      slot = (slot + 1) & mask;
      const entry = this.slots[slot]!;
      if (entry === EMPTY) break;
      const home = this.hashes[entry]! & mask;
      // The entry may move back into the hole unless its home lies cyclically in (hole, slot].
      const between = hole <= slot ? home > hole && home <= slot : home > hole || home <= slot;
      if (!between) {
        this.slots[hole] = entry;
        hole = slot;
      }
    }
    this.slots[hole] = EMPTY;
  }

  clear(): void {
    this.keys = [];
    this.values = [];
    this.hashes = [];
    this.slots = new Int32Array(64).fill(EMPTY);
  }

  private rehash(size: number): void {
    const slots = new Int32Array(size).fill(EMPTY);
    const mask = size - 1;
    for (let entry = 0; entry < this.hashes.length; entry++) {
      let slot = this.hashes[entry]! & mask;
      while (slots[slot] !== EMPTY) slot = (slot + 1) & mask;
      slots[slot] = entry;
    }
    this.slots = slots;
  }
}
