// The two ways the construct gets the function's code yield the same bytes: what CDK builds from source in the
// repository (bundleIngestSync, its local bundling hook) equals the prebuilt dist/ingest-<arch> an installed
// package deploys. Needs `npm run build` first (npm test runs it).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  BUNDLE_CPUS,
  bundleIngestSync,
  lambdaArchitectureName,
  prebuiltIngestDir,
} from '../../scripts/ingest-bundle.js';
import { treeFiles } from './support/app.js';

for (const cpu of BUNDLE_CPUS) {
  test(`the ${lambdaArchitectureName(cpu)} bundle CDK builds from source is dist's prebuilt one byte for byte`, () => {
    const out = mkdtempSync(join(tmpdir(), 'iotprom-asset-'));
    try {
      bundleIngestSync({ outDir: out, cpu });
      const files = treeFiles(out);
      assert.deepEqual(files, treeFiles(prebuiltIngestDir(cpu)));
      for (const file of files) {
        const same = readFileSync(join(out, file)).equals(readFileSync(join(prebuiltIngestDir(cpu), file)));
        assert.ok(same, `${file} is byte-identical`);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}
