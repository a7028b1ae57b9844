// NODE_OPTIONS of the ingest function, in a module of its own so the benchmarks run the handler exactly as the
// stack deploys it. A 16 MB young generation (semi-space) rather than what Node derives from the host: a batch's
// objects live until it is delivered, so a smaller one made V8 copy the live batch again and again (bench goal 1b),
// and a larger one only raises the peak RSS of a 10,000-message batch (goal 5, at most 128 MB). Figures are in
// bench/RESULTS.md.
export const INGEST_NODE_OPTIONS = '--max-semi-space-size=16';
