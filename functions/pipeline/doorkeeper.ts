// TinyLFU's doorkeeper for the series cache: the hash of each labels text met lately, and the batch it was met in.
// The cache interns a set only when its text comes back in a later batch (series-cache.ts decides). Two slots a
// hash, the older one given up to a new text, so one text met every batch does not keep pushing out another that
// is. The table starts small and doubles as texts arrive, up to the size the cache's budget calls for: allocated
// whole, its first touches were page faults that a cold start's first batch paid for (docs/performance.md).

/** Slots of a new table. */
const FIRST_SLOTS = 1024;
/** The table doubles once more than one slot in GROW_AT holds a text, so a text seldom meets both slots taken. */
const GROW_AT = 16;

export class Doorkeeper {
  private hashes: Int32Array;
  private batches: Int32Array;
  /** Slots holding a text. */
  private occupied = 0;

  /** `maxSlots`: a power of two, the most slots the table grows to. */
  constructor(readonly maxSlots: number) {
    const slots = Math.min(FIRST_SLOTS, maxSlots);
    this.hashes = new Int32Array(slots);
    this.batches = new Int32Array(slots);
  }

  /** Slots the table has now. */
  get slots(): number {
    return this.hashes.length;
  }

  /** The slot noting `textHash` (an Int32Array's value), or -1 when the doorkeeper does not know it. */
  find(textHash: number): number {
    const first = textHash & (this.hashes.length - 2);
    if (this.hashes[first] === textHash) return first;
    return this.hashes[first + 1] === textHash ? first + 1 : -1;
  }

  /** The batch the text in `slot` was last met in. */
  batchAt(slot: number): number {
    return this.batches[slot]!;
  }

  /** The text in `slot` is met again in `batch`. */
  meet(slot: number, batch: number): void {
    this.batches[slot] = batch;
  }

  /** Notes `textHash`, which find() did not know, as met in `batch`, in the older of its two slots. */
  note(textHash: number, batch: number): void {
    const first = textHash & (this.hashes.length - 2);
    const older = this.batches[first]! <= this.batches[first + 1]! ? first : first + 1;
    if (this.hashes[older] === 0) this.occupied++;
    this.hashes[older] = textHash;
    this.batches[older] = batch;
    if (this.occupied * GROW_AT > this.hashes.length && this.hashes.length < this.maxSlots) this.grow();
  }

  /**
   * Doubles the table. Nothing is lost: a hash's two slots in the new table take only the texts of its two slots
   * in the old one (the same low bits).
   */
  private grow(): void {
    const { hashes, batches } = this;
    this.hashes = new Int32Array(hashes.length * 2);
    this.batches = new Int32Array(hashes.length * 2);
    const mask = this.hashes.length - 2;
    for (let slot = 0; slot < hashes.length; slot++) {
      const hash = hashes[slot]!;
      if (hash === 0) continue;
      const first = hash & mask;
      const to = this.hashes[first] === 0 ? first : first + 1;
      this.hashes[to] = hash;
      this.batches[to] = batches[slot]!;
    }
  }
}
