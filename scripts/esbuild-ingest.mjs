#!/usr/bin/env node
// Runs one esbuild build of the ingest bundle: the options come as JSON on stdin (ingestEsbuildOptions() in
// ingest-bundle.ts), the plugin below is added here. A separate process because esbuild's buildSync() takes no
// plugins and CDK's local bundling hook must be synchronous; `npm run build` goes the same way, so both give
// the same bytes.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';

/**
 * The bundle imports package.json for its version only; esbuild would inline the whole file (scripts,
 * devDependencies), so the package's own package.json is served to it as `{ "version": … }`.
 */
function versionOnly(packageJsonPath) {
  return {
    name: 'package-json-version-only',
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: /[\\/]package\.json$/ }, (args) => {
        if (args.path !== packageJsonPath) return undefined;
        const { version } = JSON.parse(readFileSync(args.path, 'utf8'));
        return { contents: JSON.stringify({ version }), loader: 'json' };
      });
    },
  };
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { options, packageJsonPath } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
await build({ ...options, plugins: [versionOnly(packageJsonPath)] });
