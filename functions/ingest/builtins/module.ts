// node:module as the ingest bundle imports it (scripts/ingest-bundle.ts): see BUILTIN_SHIMS there.
// Only the names the bundle imports; another one fails the build rather than the function.
export const createRequire = process.getBuiltinModule('node:module').createRequire;
