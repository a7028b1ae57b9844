// The deploy guide (docs/deploy.md, or README.md until that page exists) documents every context key the stack
// reads, and no other.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CONTEXT_KEYS } from '../../infra/bridge-stack.js';
import { projectRoot } from '../../scripts/ingest-bundle.js';

test('the context-key table of the deploy guide lists exactly the keys the stack reads', () => {
  const deployGuide = join(projectRoot, 'docs', 'deploy.md');
  const doc = existsSync(deployGuide)
    ? readFileSync(deployGuide, 'utf8')
    : (() => {
        const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
        return readme.slice(readme.indexOf('### Context keys'), readme.indexOf('### An existing workspace'));
      })();
  const documented = [...new Set([...doc.matchAll(/^\| `([A-Za-z0-9]+)` *\|/gm)].map((m) => m[1]))].sort();
  assert.deepEqual(documented, Object.keys(CONTEXT_KEYS).sort());
});
