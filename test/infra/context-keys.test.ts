// docs/deploy.md documents every context key the stack reads, and no other.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CONTEXT_KEYS } from '../../infra/bridge-stack.js';
import { projectRoot } from '../../scripts/ingest-bundle.js';

test('the context-key table of docs/deploy.md lists exactly the keys the stack reads', () => {
  const doc = readFileSync(join(projectRoot, 'docs', 'deploy.md'), 'utf8');
  const section = doc.slice(doc.indexOf('### Context keys'), doc.indexOf('### An existing workspace'));
  const documented = [...section.matchAll(/^\| `([A-Za-z0-9]+)` *\|/gm)].map((m) => m[1]).sort();
  assert.deepEqual(documented, Object.keys(CONTEXT_KEYS).sort());
});
