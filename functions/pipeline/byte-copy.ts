// Copying a few dozen bytes between two arrays, as the one-off series and the encoder do for every series. set()
// wants a subarray for part of an array (an object per copy), and a byte loop pays a bounds check per byte; through
// DataViews of both arrays the copy moves four bytes a step.

/**
 * Copies source[start, end) to target at `at`; sourceView and targetView are DataViews over exactly source and
 * target (same offset and length). Returns the position after the copy.
 */
export function copyBytes(
  source: Uint8Array,
  sourceView: DataView,
  start: number,
  end: number,
  target: Uint8Array,
  targetView: DataView,
  at: number,
): number {
  let i = start;
  for (; i + 4 <= end; i += 4, at += 4) targetView.setUint32(at, sourceView.getUint32(i));
  for (; i < end; i++) target[at++] = source[i]!;
  return at;
}

/** A DataView over exactly `bytes`, for copyBytes. */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
