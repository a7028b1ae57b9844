// The exit-code table of docs/operations.md lists exactly the codes the CLI uses.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EXIT_CODE_HELP, ExitCode } from '../../cli/exit-codes.js';

test('docs/operations.md documents every exit code, and no other', () => {
  const markdown = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  const section = markdown.split('## Exit codes')[1]?.split('\n## ')[0] ?? '';
  const documented = [...section.matchAll(/^\|\s*(\d+)\s*\|/gm)].map((m) => Number(m[1]));
  const codes = [...new Set(Object.values(ExitCode))].sort((a, b) => a - b);
  assert.deepEqual(documented, codes);
  assert.deepEqual(
    EXIT_CODE_HELP.map(([code]) => code),
    codes,
  );
});
