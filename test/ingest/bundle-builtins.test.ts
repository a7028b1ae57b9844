// The built bundle's import (a cold start) loads only the built-in modules it needs: fs, util and module come
// through functions/ingest/builtins/ (scripts/ingest-bundle.ts), because an ES module import of a built-in has
// Node call every getter of its exports, which loads fs's streams and promises API and a dozen util modules.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { runtimeNode } from '../../scripts/runtime-node.mjs';
import { BUILTIN_SHIMS } from '../../scripts/ingest-bundle.js';
import { bundlePath } from './harness.js';

const chunksDir = join(dirname(bundlePath), 'chunks');
const outputs = [
  bundlePath,
  ...readdirSync(chunksDir)
    .filter((name) => name.endsWith('.mjs'))
    .map((name) => join(chunksDir, name)),
];

test('no file of the bundle imports a shimmed built-in as an ES module', () => {
  for (const file of outputs) {
    const text = readFileSync(file, 'utf8');
    for (const name of Object.keys(BUILTIN_SHIMS)) {
      assert.doesNotMatch(text, new RegExp(`from\\s*["']node:${name}["']`), `${file} imports node:${name}`);
    }
  }
});

test('importing the bundle as deployed for AMP loads neither fs streams nor util’s lazy modules', () => {
  const script = `const before = new Set(process.moduleLoadList);
await import(${JSON.stringify(pathToFileURL(bundlePath).href)});
process.stderr.write(JSON.stringify(process.moduleLoadList.filter((m) => !before.has(m))));`;
  const result = spawnSync(runtimeNode(), ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: {
      PATH: process.env['PATH'] ?? '',
      AWS_REGION: 'us-east-1',
      REMOTE_WRITE_URL: 'https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-x/api/v1/remote_write',
      REMOTE_WRITE_AUTH: 'sigv4',
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'secret',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
  });
  assert.equal(result.status, 0, result.stderr);
  const loaded = JSON.parse(result.stderr) as string[];
  for (const name of ['internal/fs/streams', 'internal/fs/promises', 'internal/util/parse_args/parse_args']) {
    assert.ok(!loaded.includes(`NativeModule ${name}`), `the import loaded ${name}`);
  }
});
