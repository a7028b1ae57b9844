// `npm run build`: the ingest bundle for both Lambda architectures (dist/ingest-arm64, dist/ingest-x86_64, which
// the package ships), dist/ingest for this machine (what tests and `iotprom local` run), the CLI (dist/cli/) and
// the construct library (lib/index.js, with type declarations in lib/types/).
import { execFileSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildCli, buildLibrary } from './cli-bundle.js';
import { BUNDLE_CPUS, bundleIngest, hostCpu, prebuiltIngestDir, projectRoot } from './ingest-bundle.js';

await Promise.all(BUNDLE_CPUS.map((cpu) => bundleIngest({ outDir: prebuiltIngestDir(cpu), cpu })));
const hostDir = join(projectRoot, 'dist', 'ingest');
rmSync(hostDir, { recursive: true, force: true });
cpSync(prebuiltIngestDir(hostCpu()), hostDir, { recursive: true });
console.log(`built ${BUNDLE_CPUS.map((cpu) => prebuiltIngestDir(cpu)).join(', ')} and ${hostDir}`);

rmSync(join(projectRoot, 'lib'), { recursive: true, force: true });
await Promise.all([buildCli(), buildLibrary()]);
execFileSync(
  process.execPath,
  [join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.lib.json'],
  {
    cwd: projectRoot,
    stdio: 'inherit',
  },
);
console.log(`built ${join(projectRoot, 'dist/cli/main.mjs')} and ${join(projectRoot, 'lib')}`);
