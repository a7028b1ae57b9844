// An esbuild plugin for the bundles built from this project's sources (the ingest function, the CLI, the
// construct library). functions/pipeline/headers.ts imports package.json for its version only, but esbuild would
// inline the whole file (scripts, devDependencies); the package's own package.json is served as `{ "version": … }`.
import { readFileSync } from 'node:fs';

export function versionOnly(packageJsonPath) {
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
