// Goal 4: cold start. The size of dist/ingest/index.mjs, and the wall time of a fresh `node` that imports it
// against a bare `node -e` start, spawned alternately. Both children report their CPU time; the import child
// also its in-process import time. The goal's figure is for a receiver without authentication; the same rounds
// also import the bundle configured for Amazon Managed Service for Prometheus (SigV4 over https), whose signer
// and credential chain load at cold start, and report that figure beside it.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
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
  // The bundle is index.mjs plus the chunks it may import (the SDK clients are split out); all of them count.
  const chunksDir = join(projectRoot, 'dist', 'ingest', 'chunks');
  const chunkBytes = existsSync(chunksDir)
    ? readdirSync(chunksDir)
        .filter((name) => name.endsWith('.mjs'))
        .reduce((sum, name) => sum + statSync(join(chunksDir, name)).size, 0)
    : 0;
  const bundleBytes = statSync(handlerBundle).size + chunkBytes;
  const nativeBytes = folderBytes(join(projectRoot, 'dist', 'ingest', 'node_modules'));
  // Unlike goals 1 and 5, the children run without the function's NODE_OPTIONS (INGEST_NODE_OPTIONS): on Node 20
  // any V8 heap-size flag makes Node reject its built-in code cache, which doubles the CPU time of loading
  // node:http and friends (measured +15-20 ms here); Node 24, the function's runtime, has no such penalty, and
  // Lambda's own bootstrap passes heap-size flags to every function anyway.
  const env = {
    ...process.env,
    // Configuration is read at import (cold start); nothing is sent until the handler is invoked.
    REMOTE_WRITE_URL: 'http://127.0.0.1:9/api/v1/write',
    REMOTE_WRITE_AUTH: 'none',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    AWS_REGION: 'us-east-1',
  };
  // As deployed for AMP. Importing only builds the signer and the credential chain; neither sends anything
  // until the first request is signed (the import child exits before that), and instance metadata is off anyway.
  const ampEnv = {
    ...env,
    REMOTE_WRITE_URL:
      'https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-cold-start/api/v1/remote_write',
    REMOTE_WRITE_AUTH: 'sigv4',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: 'AKIDCOLDSTARTBENCH',
    AWS_SECRET_ACCESS_KEY: 'cold-start-bench',
  };
  // Each child reports its own CPU time (user + system) at exit: unlike wall time, that does not grow while the
  // process waits for a core that neighbours hold.
  const cpuReport =
    'const u = process.cpuUsage(); process.stderr.write(" " + String((u.user + u.system) / 1000));';
  const importScript =
    `const t0 = performance.now(); await import(${JSON.stringify(pathToFileURL(handlerBundle).href)}); ` +
    `process.stderr.write(String(performance.now() - t0)); ${cpuReport}`;
  const bare: number[] = [];
  const withImport: number[] = [];
  const inProcess: number[] = [];
  const bareCpu: number[] = [];
  const importCpu: number[] = [];
  const ampImportCpu: number[] = [];
  const runImport = (): void => {
    const r = timedSpawn(['--input-type=module', '-e', importScript], env);
    withImport.push(r.ms);
    const [ms, cpu] = r.stderr.trim().split(' ').map(Number);
    inProcess.push(ms!);
    importCpu.push(cpu!);
  };
  const runAmpImport = (): void => {
    const r = timedSpawn(['--input-type=module', '-e', importScript], ampEnv);
    ampImportCpu.push(Number(r.stderr.trim().split(' ')[1]));
  };
  const runBare = (): void => {
    const r = timedSpawn(['-e', cpuReport], env);
    bare.push(r.ms);
    bareCpu.push(Number(r.stderr.trim()));
  };
  // Warm the file cache for all three.
  runBare();
  runImport();
  runAmpImport();
  for (const list of [bare, withImport, inProcess, bareCpu, importCpu, ampImportCpu]) list.length = 0;
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      runBare();
      runImport();
      runAmpImport();
    } else {
      runAmpImport();
      runImport();
      runBare();
    }
  }
  const overhead = spread(withImport.map((ms, i) => ms - bare[i]!));
  const cpuOverhead = spread(importCpu.map((ms, i) => ms - bareCpu[i]!));
  const ampCpuOverhead = spread(ampImportCpu.map((ms, i) => ms - bareCpu[i]!));
  const bareMs = spread(bare);
  const importMs = spread(inProcess);
  return {
    id: 4,
    title: 'Cold start: bundle size and import time',
    figure: `+${cpuOverhead.median.toFixed(1)} ms CPU (+${overhead.median.toFixed(0)} ms wall) import, ${kb(bundleBytes)} bundle`,
    goal: `≤ ${GOAL_IMPORT_MS} ms; ≤ ${kb(GOAL_BUNDLE_BYTES)}`,
    pass: cpuOverhead.median <= GOAL_IMPORT_MS && bundleBytes <= GOAL_BUNDLE_BYTES,
    details: [
      `import overhead in CPU time (child's user + system CPU at exit, importing minus bare, per round): ${formatSpread(cpuOverhead, 1, ' ms')}`,
      `import overhead in wall time (\`node --input-type=module -e "await import(bundle)"\` minus \`node -e …\`, per round): ${formatSpread(overhead, 1, ' ms')}; the bare start alone took ${formatSpread(bareMs, 1, ' ms')} wall, so wall figures here carry the load`,
      `CPU time of a bare start: ${formatSpread(spread(bareCpu), 1, ' ms')}; with the import: ${formatSpread(spread(importCpu), 1, ' ms')}`,
      `the import measured inside the child (performance.now() around \`await import\`): ${formatSpread(importMs, 1, ' ms')} wall`,
      `not the goal's configuration: configured for Amazon Managed Service for Prometheus (\`REMOTE_WRITE_AUTH=sigv4\`, an https URL), which also loads node:https and the SigV4 signer with the AWS SDK credential chain at cold start, the import overhead in CPU time is ${formatSpread(ampCpuOverhead, 1, ' ms')} (${process.version})`,
      `dist/ingest/index.mjs and its chunks: ${bundleBytes} bytes (${kb(bundleBytes)}; index.mjs alone ${kb(statSync(handlerBundle).size)}); beside it dist/ingest/node_modules (the snappy native binary, loaded directly): ${kb(nativeBytes)}; the source map is not deployed in the count`,
    ],
  };
}
