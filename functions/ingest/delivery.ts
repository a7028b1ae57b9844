// Delivery lives in ./delivery/; this module keeps the import path the rest of the function uses.
export * from './delivery/index.js';
