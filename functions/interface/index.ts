// The interface between the stack (infra/) and the ingest function (functions/ingest/): variable names,
// defaults, auth modes, AMP URL parsing, the service name and metrics namespace, and the checks both sides run.
// Free of Node and AWS SDK imports, so it costs the function nothing at cold start and runs at synth as well.
export * from './dead-letters.js';
export * from './duration.js';
export * from './receiver.js';
export * from './variables.js';
