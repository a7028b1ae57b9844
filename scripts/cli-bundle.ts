// What the installed package runs instead of the TypeScript sources, which it does not ship: the `iotprom` CLI
// (dist/cli/main.mjs) and the construct library (lib/index.js) as one ES module each, with dependencies left as
// imports of their packages. Type declarations come from tsc (tsconfig.lib.json, lib/types/). Bundling keeps
// paths relative to a module's own file meaningful: dist/cli/ sits two folders below the package root like
// cli/local/, and the construct finds the package root by its package.json from wherever it runs.
import { build, type BuildOptions } from 'esbuild';
import { join } from 'node:path';
import { INGEST_NODE_TARGET, projectRoot } from './ingest-bundle.js';
import { versionOnly } from './version-only-plugin.mjs';

const common: BuildOptions = {
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: INGEST_NODE_TARGET,
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [versionOnly(join(projectRoot, 'package.json'))],
};

/** The CLI's build options (dist/cli/main.mjs). */
export function cliBuildOptions(): BuildOptions {
  return {
    ...common,
    entryPoints: [join(projectRoot, 'cli/main.ts')],
    outfile: join(projectRoot, 'dist/cli/main.mjs'),
  };
}

/** The construct library's build options (lib/index.js). */
export function libraryBuildOptions(): BuildOptions {
  return {
    ...common,
    entryPoints: [join(projectRoot, 'infra/index.ts')],
    outfile: join(projectRoot, 'lib/index.js'),
  };
}

export async function buildCli(): Promise<void> {
  await build(cliBuildOptions());
}

export async function buildLibrary(): Promise<void> {
  await build(libraryBuildOptions());
}
