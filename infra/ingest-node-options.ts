// NODE_OPTIONS of the ingest function, in a module of its own so the benchmarks run the handler exactly as the
// stack deploys it. A small young generation keeps the peak RSS of a 10,000-message batch under 128 MB at no
// measured cost in throughput (bench/RESULTS.md, goals 1 and 5): Node sizes it from the host's memory otherwise.
export const INGEST_NODE_OPTIONS = '--max-semi-space-size=4';
