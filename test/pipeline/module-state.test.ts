// Every cache of the pipeline belongs to an instance: two normalisers in one process share nothing. This reads
// the sources of functions/pipeline/ for module-level mutable state, and checks two normalisers side by side.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import type { SourceMessage } from '../../functions/pipeline/model.js';
import { SampleNormaliser } from '../../functions/pipeline/normalise.js';
import { planBatch } from '../../functions/pipeline/plan.js';

const pipelineDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'functions', 'pipeline');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Containers whose contents change after construction: a module-level one is shared state. */
const MUTABLE =
  /^(Map|Set|WeakMap|WeakSet|Array|Int8Array|Uint8Array|Int32Array|Uint32Array|Float64Array|Float32Array)$/;

test('functions/pipeline/ keeps no module-level mutable state', () => {
  const found: string[] = [];
  for (const file of sourceFiles(pipelineDir)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    for (const statement of source.statements) {
      if (!ts.isVariableStatement(statement)) continue;
      const where = `${relative(pipelineDir, file)}:${source.getLineAndCharacterOfPosition(statement.getStart()).line + 1}`;
      if ((statement.declarationList.flags & ts.NodeFlags.Const) === 0) found.push(`${where} let/var`);
      for (const declaration of statement.declarationList.declarations) {
        const init = declaration.initializer;
        // A constant typed read-only (a lookup set) is not state.
        if (init === undefined || declaration.type?.getText().startsWith('Readonly')) continue;
        if (ts.isNewExpression(init) && MUTABLE.test(init.expression.getText()))
          found.push(`${where} new ${init.expression.getText()}`);
        if (ts.isArrayLiteralExpression(init) && init.elements.length === 0) found.push(`${where} []`);
      }
    }
  }
  assert.deepEqual(found, []);
});

test('two normalisers in one process share no memory of earlier bodies', () => {
  const sent = 1_732_531_200_000;
  const messages: SourceMessage[] = Array.from({ length: 4 }, (_, i) => ({
    messageId: `m-${i}`,
    body: `{"labels":{"device":"d-1"},"timestamp":${sent + i},"metrics":{"t":${i}}}`,
    sentTimestampMs: sent,
  }));
  const first = new SampleNormaliser();
  const second = new SampleNormaliser();
  // A label set is interned when it comes back in a later batch (the cache's doorkeeper).
  planBatch(messages, undefined, first);
  planBatch(messages, undefined, first);
  const text = messages[0]!.body;
  const start = text.indexOf('{', 1);
  const end = text.indexOf('}', start) + 1;
  assert.notEqual(first.scanMemory.labelsAt(text, start, end), undefined);
  assert.notEqual(first.scanMemory.templateHead, '');
  assert.equal(second.scanMemory.labelsAt(text, start, end), undefined);
  assert.equal(second.scanMemory.templateHead, '');
  assert.equal(second.identities.length, 0);
});
