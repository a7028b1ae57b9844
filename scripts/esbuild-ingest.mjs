#!/usr/bin/env node
// Runs one esbuild build of the ingest bundle: the options come as JSON on stdin (ingestEsbuildOptions() in
// ingest-bundle.ts), the version-only plugin is added here. A separate process because esbuild's buildSync()
// takes no plugins and CDK's local bundling hook must be synchronous; `npm run build` goes the same way, so both
// give the same bytes.
import { build } from 'esbuild';
import { versionOnly } from './version-only-plugin.mjs';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { options, packageJsonPath } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
await build({ ...options, plugins: [versionOnly(packageJsonPath)] });
