// The runnable examples of the docs, run as printed against the local stack, so the runbook cannot rot.
// A block fenced as ```sh runnable (or ```bash runnable) in docs/operations.md or README.md is run on its own
// under `bash -euo pipefail` from the repository root and must exit 0 without a stack trace. The stack is the
// one `iotprom local` runs (the local SQS server and its queues, the built function, a real Prometheus), with
// dead letters in it; the blocks get QUEUE, DLQ, PROMETHEUS_URL and AWS_ENDPOINT_URL_SQS, and no AWS region
// or credentials.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startLocalBridge, type LocalBridge } from '../../cli/local/local-bridge.js';
import { cleanEnvironment } from '../cli/support/iotprom.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The files whose runnable blocks are run; a missing file or one without such blocks is fine. */
const DOCUMENTS = ['docs/operations.md', 'README.md'];

export interface RunnableBlock {
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly code: string;
}

/** The blocks whose fence's info string is `sh runnable` or `bash runnable` (more words may follow). */
export function runnableBlocks(file: string, markdown: string): RunnableBlock[] {
  const blocks: RunnableBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^( {0,3})(`{3,}|~{3,})\s*(.*)$/.exec(lines[i] ?? '');
    if (open === null) continue;
    const fence = open[2] as string;
    const words = (open[3] ?? '').trim().split(/\s+/);
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !(lines[j] ?? '').trimStart().startsWith(fence)) body.push(lines[j++] ?? '');
    if ((words[0] === 'sh' || words[0] === 'bash') && words.includes('runnable')) {
      blocks.push({ file, line: i + 1, code: body.join('\n') });
    }
    i = j;
  }
  return blocks;
}

function runBlock(
  code: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-euo', 'pipefail', '-c', code],
      { cwd: ROOT, env, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const exit = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code: exit, stdout, stderr });
      },
    );
  });
}

let bridge: LocalBridge;

before(async () => {
  bridge = await startLocalBridge({
    sqsPort: 0,
    devices: 4,
    ratePerSecond: 40,
    malformedShare: 0.3,
    batchSize: 20,
    maxReceiveCount: 2,
    handlerLogLevel: 'ERROR',
  });
  // Dead letters to inspect and replay, and samples in Prometheus to query.
  const deadline = Date.now() + 90_000;
  while ((await bridge.status()).deadLettered < 10 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await bridge.stopSimulator();
  assert.ok((await bridge.status()).deadLettered >= 10, 'the local stack dead-lettered nothing');
});
after(() => bridge?.stop());

test('the extractor finds sh/bash runnable blocks only, and tolerates none', () => {
  const markdown = [
    '```sh runnable',
    'echo one',
    '```',
    '```sh',
    'aws sqs list-queues',
    '```',
    '````bash runnable slow',
    '```',
    'echo two',
    '````',
    '```js runnable',
    'no()',
    '```',
  ].join('\n');
  assert.deepEqual(runnableBlocks('x.md', markdown), [
    { file: 'x.md', line: 1, code: 'echo one' },
    { file: 'x.md', line: 7, code: '```\necho two' },
  ]);
  assert.deepEqual(runnableBlocks('y.md', '# nothing to run\n'), []);
});

test('every runnable example in the docs runs as printed against the local stack', async (t) => {
  const blocks = DOCUMENTS.filter((file) => existsSync(join(ROOT, file))).flatMap((file) =>
    runnableBlocks(file, readFileSync(join(ROOT, file), 'utf8')),
  );
  assert.ok(
    blocks.some((b) => b.file === 'docs/operations.md'),
    'docs/operations.md has no runnable block',
  );
  const env = cleanEnvironment({
    AWS_ENDPOINT_URL_SQS: bridge.sqsEndpoint,
    QUEUE: bridge.queues.queueUrl,
    DLQ: bridge.queues.deadLetterQueueUrl,
    PROMETHEUS_URL: bridge.prometheusUrl ?? '',
  });
  for (const block of blocks) {
    await t.test(`${block.file}:${block.line}`, async () => {
      const run = await runBlock(block.code, env);
      const report = `${block.file}:${block.line}\n${block.code}\n--- exit ${run.code}\n${run.stdout}\n${run.stderr}`;
      assert.equal(run.code, 0, report);
      assert.doesNotMatch(run.stderr, /^\s+at /m, report);
      assert.doesNotMatch(run.stderr, /NodeVersionSupportWarning/, report);
    });
  }
});
