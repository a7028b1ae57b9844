// Snappy compression of a remote-write body. Remote-Write 1.0 requires the raw *block* format (the framed
// stream format MUST NOT be used); `compressSync` of the native `snappy` package writes exactly that.
// Native rather than the pure-JS snappyjs: it is faster at the request sizes the bridge emits
// (bench/encode.bench.ts compares them). The ingest bundle resolves `snappy` to ./snappy-binding.ts, which
// loads the same native binary without the package's platform-probing loader.
import { compressSync } from 'snappy';

/** Compresses `data` as one snappy block (a varint of the uncompressed length, then the compressed stream). */
export function compressBlock(data: Uint8Array): Buffer {
  return compressSync(data);
}
