// Where the time goes in goals 1 and 5: runs their children under `node --cpu-prof` against an UNMINIFIED build
// of the ingest bundle (same esbuild options otherwise, so function names are readable) and prints self time by
// function and by source file. Goal 5 also runs under `--heap-prof` (sampled allocations by function).
// Run: npx tsx bench/profile.ts [1b [DEVICES [WARMUP]]]   (1b: goal 1b only, at 1,000,000 devices and after 5 warm-up batches by default; profiles are kept in .tmp/bench-run/prof/)
import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ingestEsbuildOptions } from '../scripts/ingest-bundle.js';
import { projectRoot, runChild } from './lib/child.js';
import { summariseProfile } from './lib/cpu-profile.js';
import { startSink } from './lib/sink.js';
import { benchHandlerEnv } from './goals/handler-throughput.js';

const profDir = join(projectRoot, '.tmp', 'bench-run', 'prof');
const bundleDir = join(projectRoot, '.tmp', 'bench-run', 'ingest-unminified');

async function buildUnminified(): Promise<string> {
  rmSync(bundleDir, { recursive: true, force: true });
  mkdirSync(bundleDir, { recursive: true });
  // snappy stays external and resolves from the project's node_modules.
  await build({ ...ingestEsbuildOptions(bundleDir), minify: false, sourcemap: false });
  return join(bundleDir, 'index.mjs');
}

/** Names a frame by function and by the source file recorded in esbuild's `// path` comments. */
function frameResolver(bundle: string): (frame: {
  functionName: string;
  url: string;
  lineNumber: number;
}) => {
  name: string;
  file: string;
} {
  const lines = readFileSync(bundle, 'utf8').split('\n');
  // esbuild writes `// functions/pipeline/plan.ts` before each module's code in an unminified bundle.
  const fileAt: string[] = [];
  let current = '(bundle)';
  for (const line of lines) {
    const match = /^\/\/ (\S+\.(?:ts|js|mjs|cjs))$/.exec(line);
    if (match) current = match[1]!;
    fileAt.push(current);
  }
  return (frame) => {
    if (frame.url.endsWith('ingest-unminified/index.mjs'))
      return { name: frame.functionName || '(anonymous)', file: fileAt[frame.lineNumber] ?? '(bundle)' };
    const file =
      frame.url === '' ? '(native/GC)' : relative(projectRoot, frame.url.replace(/^file:\/\//, ''));
    return { name: frame.functionName || '(anonymous)', file };
  };
}

function latest(prefix: string, ext: string): string {
  const files = readdirSync(profDir)
    .filter((f) => f.startsWith(prefix) && f.endsWith(ext))
    .sort();
  return join(profDir, files[files.length - 1]!);
}

function print(title: string, path: string, resolve: ReturnType<typeof frameResolver>): void {
  const summary = summariseProfile(path, resolve);
  console.log(`\n## ${title} (${summary.totalMs.toFixed(0)} ms sampled; ${relative(projectRoot, path)})`);
  console.log('\nby source file:');
  for (const f of summary.byFile.slice(0, 15))
    console.log(`  ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.ms.toFixed(0).padStart(6)} ms  ${f.file}`);
  console.log('\nby function (self time):');
  for (const f of summary.byFunction.slice(0, 25))
    console.log(
      `  ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.ms.toFixed(0).padStart(6)} ms  ${f.name}  (${f.file})`,
    );
}

async function main(): Promise<void> {
  const bundle = await buildUnminified();
  const resolve = frameResolver(bundle);
  rmSync(profDir, { recursive: true, force: true });
  mkdirSync(profDir, { recursive: true });
  const sink = await startSink();
  try {
    const env = { ...benchHandlerEnv(sink.url), BENCH_HANDLER_BUNDLE: bundle };
    if (process.argv[2] === '1b') {
      await runChild('bench/goals/large-fleets-child.ts', {
        env: {
          ...env,
          BENCH_DEVICES: process.argv[3] ?? '1000000',
          BENCH_WARMUP: process.argv[4] ?? '5',
          BENCH_ROUNDS: '10',
        },
        nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-name=goal1b.cpuprofile'],
      });
      print(`Goal 1b: ${process.argv[3] ?? '1000000'} devices`, latest('goal1b', '.cpuprofile'), resolve);
      return;
    }
    await runChild('bench/goals/handler-throughput-child.ts', {
      env: { ...env, BENCH_ROUNDS: '10' },
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-name=goal1.cpuprofile'],
    });
    print(
      'Goal 1: handler + JSON.parse rounds, 10,000 messages × 3 metrics',
      latest('goal1', '.cpuprofile'),
      resolve,
    );
    await runChild('bench/goals/peak-rss-child.ts', {
      env: { ...env, BENCH_RSS_MODE: 'handle' },
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-name=goal5.cpuprofile'],
    });
    print('Goal 5: one batch of 10,000 messages × 10 metrics', latest('goal5', '.cpuprofile'), resolve);
    await runChild('bench/goals/peak-rss-child.ts', {
      env: { ...env, BENCH_RSS_MODE: 'handle' },
      nodeArgs: ['--heap-prof', `--heap-prof-dir=${profDir}`, '--heap-prof-name=goal5.heapprofile'],
    });
    console.log(`\nheap profile of goal 5: ${relative(projectRoot, latest('goal5', '.heapprofile'))}`);
  } finally {
    await sink.close();
  }
}

await main();
