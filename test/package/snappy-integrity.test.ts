// The snappy binaries the bundles carry are the ones package-lock.json pins, checked by integrity.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  BUNDLE_CPUS,
  checkIntegrity,
  lockedPackage,
  prebuiltIngestDir,
} from '../../scripts/ingest-bundle.js';

test('a tarball whose bytes differ from the lock file is refused, naming both integrities', () => {
  const { integrity } = lockedPackage('@napi-rs/snappy-linux-arm64-gnu');
  assert.throws(
    () => checkIntegrity('@napi-rs/snappy-linux-arm64-gnu@7.4.3', Buffer.from('not the tarball'), integrity),
    (error: Error) =>
      error.message.includes(integrity) && /differs from package-lock\.json/.test(error.message),
  );
});

for (const cpu of BUNDLE_CPUS) {
  test(`dist's ${cpu} bundle carries the snappy binary package at the locked version`, () => {
    const name = `@napi-rs/snappy-linux-${cpu}-gnu`;
    const shipped = JSON.parse(
      readFileSync(join(prebuiltIngestDir(cpu), 'node_modules', name, 'package.json'), 'utf8'),
    ) as { name: string; version: string };
    assert.equal(shipped.name, name);
    assert.equal(shipped.version, lockedPackage(name).version);
  });
}
