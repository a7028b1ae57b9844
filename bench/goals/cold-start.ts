// Goal 4: cold start. The size of dist/ingest/index.mjs, and the wall time of a fresh `node` that imports it
// against a bare `node -e 0`, spawned alternately. The import child also reports its own in-process import time.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { handlerBundle, projectRoot } from '../lib/child.js';
import { kb, type GoalResult } from '../lib/goal.js';
import { formatSpread, spread } from '../lib/stats.js';

export const GOAL_IMPORT_MS = 50;
export const GOAL_BUNDLE_BYTES = 500 * 1024;

function folderBytes(path: string): number {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    total += entry.isDirectory() ? folderBytes(full) : statSync(full).size;
  }
  return total;
}

function timedSpawn(args: string[], env: NodeJS.ProcessEnv): { ms: number; stderr: string } {
  const t0 = performance.now();
  const result = spawnSync(process.execPath, args, {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ms = performance.now() - t0;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${result.stderr}`);
  return { ms, stderr: result.stderr };
}

export function coldStart(rounds = 30): GoalResult {
  const bundleBytes = statSync(handlerBundle).size;
  const nativeBytes = folderBytes(join(projectRoot, 'dist', 'ingest', 'node_modules'));
  const env = {
    ...process.env,
    // Configuration is read at import (cold start); nothing is sent until the handler is invoked.
    REMOTE_WRITE_URL: 'http://127.0.0.1:9/api/v1/write',
    REMOTE_WRITE_AUTH: 'none',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    AWS_REGION: 'us-east-1',
  };
  const importScript =
    `const t0 = performance.now(); await import(${JSON.stringify(pathToFileURL(handlerBundle).href)}); ` +
    `process.stderr.write(String(performance.now() - t0));`;
  const bare: number[] = [];
  const withImport: number[] = [];
  const inProcess: number[] = [];
  const runImport = (): void => {
    const r = timedSpawn(['--input-type=module', '-e', importScript], env);
    withImport.push(r.ms);
    inProcess.push(Number(r.stderr));
  };
  const runBare = (): void => {
    bare.push(timedSpawn(['-e', '0'], env).ms);
  };
  // Warm the file cache for both.
  runBare();
  runImport();
  bare.length = 0;
  withImport.length = 0;
  inProcess.length = 0;
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      runBare();
      runImport();
    } else {
      runImport();
      runBare();
    }
  }
  const overheads = withImport.map((ms, i) => ms - bare[i]!);
  const overhead = spread(overheads);
  const importMs = spread(inProcess);
  return {
    id: 4,
    title: 'Cold start: bundle size and import time',
    figure: `+${overhead.median.toFixed(1)} ms import, ${kb(bundleBytes)} bundle`,
    goal: `≤ ${GOAL_IMPORT_MS} ms; ≤ ${kb(GOAL_BUNDLE_BYTES)}`,
    pass: overhead.median <= GOAL_IMPORT_MS && bundleBytes <= GOAL_BUNDLE_BYTES,
    details: [
      `import overhead (wall time of \`node --input-type=module -e "await import(bundle)"\` minus \`node -e 0\`, per round): ${formatSpread(overhead, 1, ' ms')}`,
      `bare \`node -e 0\`: ${formatSpread(spread(bare), 1, ' ms')}; with the import: ${formatSpread(spread(withImport), 1, ' ms')}`,
      `the import measured inside the child (performance.now() around \`await import\`): ${formatSpread(importMs, 1, ' ms')}`,
      `dist/ingest/index.mjs: ${bundleBytes} bytes (${kb(bundleBytes)}); beside it dist/ingest/node_modules (snappy loader + native binary): ${kb(nativeBytes)}; the source map is not deployed in the count`,
    ],
  };
}
