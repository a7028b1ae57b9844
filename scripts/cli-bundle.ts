// The `iotprom` CLI as one ES module (dist/cli/main.mjs) for the installed package, where neither tsx nor the
// TypeScript sources exist. Dependencies stay imports of their packages. dist/cli/ sits two folders below the
// package root like cli/local/, so the CLI's paths relative to its own file mean the same in both.
import { build } from 'esbuild';
import { join } from 'node:path';
import { INGEST_NODE_TARGET, projectRoot } from './ingest-bundle.js';

export async function buildCli(): Promise<void> {
  await build({
    entryPoints: [join(projectRoot, 'cli/main.ts')],
    outfile: join(projectRoot, 'dist/cli/main.mjs'),
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: INGEST_NODE_TARGET,
    legalComments: 'none',
    logLevel: 'warning',
  });
}
