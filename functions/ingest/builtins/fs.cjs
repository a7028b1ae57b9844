/* global module */
// node:fs as the ingest bundle imports it (scripts/ingest-bundle.ts): see BUILTIN_SHIMS there.
module.exports = process.getBuiltinModule('node:fs');
