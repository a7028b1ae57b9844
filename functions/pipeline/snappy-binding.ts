// What the ingest bundle imports in place of the `snappy` package (scripts/ingest-bundle.ts aliases `snappy` to
// this file). The build knows the target CPU and libc, so it names the one native binary it copies beside the
// bundle and this loads it directly: the package's napi-rs loader would first probe the platform (reading
// /usr/bin/ldd to rule out musl, then trying a list of candidate packages) and build stream wrappers the bridge
// never uses, all at cold start. Unbundled code (tests, the CLI) keeps using the package itself, whose
// compressSync is this same native function.
import { createRequire } from 'node:module';
import type * as Snappy from 'snappy';

/** The binary's module path, e.g. `@napi-rs/snappy-linux-arm64-gnu/snappy.linux-arm64-gnu.node` (esbuild `define`). */
declare const SNAPPY_NATIVE_BINARY: string;

// A bare module path rather than one relative to this file: esbuild may place this module in index.mjs or in a
// chunk under chunks/, and Node's lookup walks up to the node_modules folder beside index.mjs from either.
const load = createRequire(import.meta.url);

/**
 * The binary is loaded by the first compression, not at import: loading it is CPU a cold start's import would pay
 * (bench goal 4a). Node's require cache holds it after that, so a later call costs a cache lookup.
 */
export const compressSync: typeof Snappy.compressSync = (data, options) =>
  (load(SNAPPY_NATIVE_BINARY) as typeof Snappy).compressSync(data, options);
