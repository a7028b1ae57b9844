#!/usr/bin/env node
// Runs the test suite with Node's own runner on the Node major Lambda runs the function on (see
// runtime-node.mjs), so the bundle is tested on its runtime. The files are listed here rather than globbed.
// Arguments narrow the run: `npm run test:unit -- test/pipeline` or a single file.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runtimeNode } from './runtime-node.mjs';

function collect(path) {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path)
    .sort()
    .flatMap((entry) => (entry === 'support' || entry === 'fixtures' ? [] : collect(join(path, entry))));
}

const roots = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['test'];
const files = roots.flatMap(collect);
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}`);
  process.exit(1);
}
const node = runtimeNode();
const result = spawnSync(
  node,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: { ...process.env, PATH: `${join(node, '..')}:${process.env.PATH}` } },
);
process.exit(result.status ?? 1);
