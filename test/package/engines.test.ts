// The supported Node versions (package.json `engines`): every locked dependency accepts them, so `npm ci` is quiet
// (no EBADENGINE) on each; they cover the Lambda runtimes the stack may select, and the Node the tests run on.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { INGEST_NODE_TARGET, projectRoot } from '../../scripts/ingest-bundle.js';
import { RUNTIME_NODE_VERSION } from '../../scripts/runtime-node.mjs';

const semver = createRequire(import.meta.url)('semver') as {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string; major: number } | null;
};
const engines = (
  JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { engines: { node: string } }
).engines.node;
const lock = JSON.parse(readFileSync(join(projectRoot, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};
/** The lowest version of each alternative of the range (22.13.0 and 24.0.0 for `^22.13.0 || >=24`). */
const floors = engines.split('||').map((part) => semver.minVersion(part.trim())!);

test('every locked package accepts the lowest version of each supported Node line', () => {
  assert.ok(floors.length > 0);
  for (const floor of floors) {
    const refusing = Object.entries(lock.packages)
      .filter(
        ([path, entry]) =>
          path !== '' && entry.engines && !Array.isArray(entry.engines) && entry.engines.node,
      )
      .filter(([, entry]) => !semver.satisfies(floor.version, (entry.engines as { node: string }).node))
      .map(
        ([path, entry]) => `${path}@${entry.version} wants node ${(entry.engines as { node: string }).node}`,
      );
    assert.deepEqual(refusing, [], `npm ci on Node ${floor.version}`);
  }
});

test('the supported versions are the Lambda runtimes the function may run on, and no end-of-life line', () => {
  for (const version of ['22.13.0', '24.0.0', RUNTIME_NODE_VERSION, process.versions.node]) {
    assert.ok(semver.satisfies(version, engines), `${version} is supported`);
  }
  assert.equal(semver.satisfies('20.19.0', engines), false, 'Node 20 is end-of-life');
  assert.equal(INGEST_NODE_TARGET, `node${Math.min(...floors.map((floor) => floor.major))}`);
});
