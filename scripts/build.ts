import { join } from 'node:path';
import { bundleIngest, projectRoot } from './ingest-bundle.js';

const outDir = join(projectRoot, 'dist/ingest');
await bundleIngest({ outDir });
console.log(`built ${outDir}/index.mjs`);
