// The encoded label fields of the series the cache holds, packed side by side into shared slabs. A series' fields
// are a few dozen bytes: each in a Uint8Array of its own was an ArrayBuffer, a backing store and a tracking entry
// for the collector per series (tens of thousands of them for a fleet the cache holds), scattered in memory. In a
// slab, a series is one view, and the series of a fleet's devices lie in the order they were made, which is the
// order a batch writes them in.
//
// Slabs are written once, front to back, and never reused: a view handed out keeps its bytes for as long as anyone
// holds it (a plan being delivered, say), so forgetting or moving a series can never change bytes in use. A slab
// whose series were mostly forgotten is emptied by moving the rest into the current slab (see moved), after which
// the collector frees it with its last view.

import { grown } from './grow.js';

/** Bytes of a slab: hundreds of series. */
export const SLAB_BYTES = 64 * 1024;
/** Fields larger than this get an array of their own (a set of many long labels). */
export const MAX_SLABBED_BYTES = SLAB_BYTES / 16;
/** A slab whose live bytes fall under this share of it is emptied at the next compaction. */
const SPARSE_SHARE = 0.5;

/** The slabs of one series cache; see the top of the file. */
export class SeriesBytes {
  private slab = new Uint8Array(0);
  private used = 0;
  /** The array the last copy() wrote to (a whole slab, or the copy's own array), and where in it. */
  lastSlab: Uint8Array = this.slab;
  lastStart = 0;
  /** Bytes of live views in each slab that holds any; a slab leaves when its count reaches 0. */
  private readonly live = new Map<ArrayBufferLike, number>();
  /** Slabs under SPARSE_SHARE: moved() empties them, and free() lets them go once empty. */
  private readonly sparse = new Set<ArrayBufferLike>();

  /** Slabs that still hold live series (the current one included). */
  get slabs(): number {
    return this.live.size;
  }

  /** Bytes of the slabs that still hold live series. */
  get slabBytes(): number {
    return this.live.size * SLAB_BYTES;
  }

  /**
   * Whether some slab holds few live bytes: the owner should pass every live view through moved(). Once more if
   * still true after that: the slab a pass filled and left may have been sparse already.
   */
  get fragmented(): boolean {
    return this.sparse.size > 0;
  }

  /**
   * A copy of `fields` in the current slab (or, when large, in an array of its own); lastSlab and lastStart say where
   * it went.
   */
  copy(fields: Uint8Array): Uint8Array {
    const size = fields.length;
    if (size > MAX_SLABBED_BYTES) {
      this.lastSlab = fields.slice();
      this.lastStart = 0;
      return this.lastSlab;
    }
    if (this.used + size > this.slab.length) this.startSlab();
    const view = this.slab.subarray(this.used, this.used + size);
    view.set(fields);
    this.lastSlab = this.slab;
    this.lastStart = this.used;
    this.used += size;
    this.live.set(this.slab.buffer, (this.live.get(this.slab.buffer) ?? 0) + size);
    return view;
  }

  private startSlab(): void {
    // The slab being left may have lost series while it was current, when free() does not mark it.
    const left = this.live.get(this.slab.buffer);
    if (left !== undefined && left < SPARSE_SHARE * SLAB_BYTES) this.sparse.add(this.slab.buffer);
    this.slab = new Uint8Array(SLAB_BYTES);
    this.used = 0;
  }

  /** Says a view from copy() is no longer held by the cache (its series was forgotten). */
  free(view: Uint8Array): void {
    const slab = view.buffer;
    const live = this.live.get(slab);
    if (live === undefined) return;
    const left = live - view.length;
    if (left === 0) {
      this.live.delete(slab);
      this.sparse.delete(slab);
      return;
    }
    this.live.set(slab, left);
    if (slab !== this.slab.buffer && left < SPARSE_SHARE * SLAB_BYTES) this.sparse.add(slab);
  }

  /**
   * `view` itself, or, when its slab is sparse, a copy in the current slab (and `view` is freed; lastSlab and
   * lastStart say where the copy went).
   */
  moved(view: Uint8Array): Uint8Array {
    if (!this.sparse.has(view.buffer)) return view;
    const copy = this.copy(view);
    this.free(view);
    return copy;
  }
}

/**
 * The label fields of series by id, in columns: series id's are slab[id][start[id], end[id]), hashed as hash[id].
 * Grouping and encoding read a batch's series from these, in id order for a fleet the cache holds, instead of
 * reaching each series' objects, which lie wherever the collector left them.
 */
export interface SeriesFieldColumns {
  readonly slab: readonly Uint8Array[];
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly hash: Int32Array;
}

/** SeriesFieldColumns that grow as ids are set. */
export class SeriesFieldTable implements SeriesFieldColumns {
  readonly slab: Uint8Array[] = [];
  start = new Int32Array(1024);
  end = new Int32Array(1024);
  hash = new Int32Array(1024);
  private readonly none = new Uint8Array(0);

  /** Series `id`'s fields are slab[start, start + length), hashed as `hash`. */
  set(id: number, slab: Uint8Array, start: number, length: number, hash: number): void {
    if (id >= this.start.length) {
      this.start = grown(this.start, id + 1);
      this.end = grown(this.end, id + 1);
      this.hash = grown(this.hash, id + 1);
    }
    this.slab[id] = slab;
    this.start[id] = start;
    this.end[id] = start + length;
    this.hash[id] = hash;
  }

  /** Series `id` is gone: its slab may go too. */
  clear(id: number): void {
    this.slab[id] = this.none;
    this.start[id] = 0;
    this.end[id] = 0;
  }
}
