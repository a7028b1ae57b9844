// A string-keyed map for the few metric names of one label set. A device reports a handful of metrics, and two
// Maps per label set were most of the objects a new device cost, which in a fleet too large to cache is paid
// for every message (allocation and garbage collection). Linear search in two arrays; a Map past LINEAR_MAX.

const LINEAR_MAX = 16;

/**
 * `items` and then `item`, in an array of exactly that length. push() would grow a small array to room for
 * seventeen or more, and these arrays are kept per label set, so most of that room would be held for nothing.
 */
export function appended<T>(items: readonly T[] | undefined, item: T): T[] {
  const length = items === undefined ? 0 : items.length;
  const out = new Array<T>(length + 1);
  for (let i = 0; i < length; i++) out[i] = items![i]!;
  out[length] = item;
  return out;
}

export class SmallMap<V> {
  private names: string[] | undefined;
  private entries: V[] | undefined;
  private large: Map<string, V> | undefined;

  get size(): number {
    return this.large?.size ?? this.names?.length ?? 0;
  }

  get(name: string): V | undefined {
    if (this.large !== undefined) return this.large.get(name);
    const names = this.names;
    if (names === undefined) return undefined;
    for (let i = 0; i < names.length; i++) if (names[i] === name) return this.entries![i];
    return undefined;
  }

  set(name: string, value: V): void {
    if (this.large !== undefined) {
      this.large.set(name, value);
      return;
    }
    const names = this.names;
    if (names !== undefined) {
      for (let i = 0; i < names.length; i++) {
        if (names[i] === name) {
          this.entries![i] = value;
          return;
        }
      }
    }
    this.names = appended(names, name);
    this.entries = appended(this.entries, value);
    if (this.names.length > LINEAR_MAX) {
      const entries = this.entries;
      this.large = new Map(this.names.map((n, i) => [n, entries[i]!]));
      this.names = undefined;
      this.entries = undefined;
    }
  }

  values(): readonly V[] {
    return this.large !== undefined ? [...this.large.values()] : (this.entries ?? []);
  }
}
