// Growing the typed-array columns the pipeline keeps its rows in (a typed array has a fixed length).

type Column = Int32Array | Float64Array | Uint8Array;

/** A copy of `column` with room for `size` entries (at least), its contents kept. */
export function grown<T extends Column>(column: T, size: number): T {
  const bigger = new (column.constructor as new (length: number) => T)(Math.max(size, column.length * 2));
  bigger.set(column);
  return bigger;
}
