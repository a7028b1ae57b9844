// Snappy compression of a remote-write body. Remote-Write 1.0 requires the raw *block* format (the framed
// stream format MUST NOT be used); `compressSync` of the native `snappy` package writes exactly that.
// Native rather than the pure-JS snappyjs: it is faster at the request sizes the bridge emits
// (bench/encode.bench.ts compares them). The ingest bundle resolves `snappy` to ./snappy-binding.ts, which
// loads the same native binary without the package's platform-probing loader.
import { compressSync } from 'snappy';

const COPY_OUTPUT = Object.freeze({ copyOutputData: true });

/** Compresses `data` as one snappy block (a varint of the uncompressed length, then the compressed stream). */
export function compressBlock(data: Uint8Array): Buffer {
  // copyOutputData: the binding frees its worst-case-sized output within the call and returns an exact-size copy.
  // By default that output becomes an external buffer that lives until a later garbage collection, so the
  // process keeps faulting in fresh memory (kernel CPU time) and its RSS grows with every request.
  return compressSync(data, COPY_OUTPUT);
}
