// `npm run bench`: the benchmarks of issues 6 and 14, each measured side by side in this one run (alternating
// rounds, medians, spread) on the function's runtime Node, printed as a table and written to bench/RESULTS.md
// with the machine and the date.
// Options: --only 1,4  (run some benchmarks by their key below; RESULTS.md is then not written)
//          --quick     (fewer rounds, for a smoke run)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatMarkdown, handlerBundle, projectRoot } from './lib/child.js';
import type { GoalResult } from './lib/goal.js';
import { load1, machine } from './lib/machine.js';
import { coldStart } from './goals/cold-start.js';
import { encodeVsPackage } from './goals/encode-vs-package.js';
import { endToEnd } from './goals/end-to-end.js';
import { handlerThroughput, readingsRouteThroughput } from './goals/handler-throughput.js';
import { largeFleets, largeFleetsOnRoute } from './goals/large-fleets.js';
import { peakRss, peakRssLargeFleet } from './goals/peak-rss.js';
import { powertoolsImport } from './goals/powertools.js';
import { dosGoal } from './dos.bench.js';
import { snappyChoice } from './goals/snappy.js';
import { existsSync } from 'node:fs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args[args.indexOf('--only') + 1];
const only = args.includes('--only') && onlyArg !== undefined ? new Set(onlyArg.split(',')) : undefined;

/** Keyed for --only; one benchmark may measure several goals side by side (4 gives 4, 4a, 4b and 4c). */
const goals: Array<[string, () => Promise<GoalResult | GoalResult[]> | GoalResult]> = [
  ['1', () => handlerThroughput(quick ? 5 : 31)],
  ['1r', () => readingsRouteThroughput(quick ? 5 : 15)],
  // 15 rounds: with fewer, the median of a shared machine moved as much as the goal's margin from run to run.
  ['1b', () => largeFleets(quick ? 3 : 15)],
  ['1rb', () => largeFleetsOnRoute(quick ? 3 : 9)],
  ['2', () => encodeVsPackage(quick ? 5 : 15)],
  ['3', () => snappyChoice(quick ? 5 : 15)],
  ['4', () => coldStart(quick ? 6 : 20)],
  ['P', () => powertoolsImport(quick ? 6 : 20)],
  ['5', () => peakRss(quick ? 2 : 5)],
  ['5b', () => peakRssLargeFleet(quick ? 1 : 3)],
  ['6', () => endToEnd(quick ? 3000 : 10_000)],
  // Runs in this process (bench/dos.bench.ts loads the bundle itself), on the Node that runs this script.
  ['7', () => dosGoal(quick ? 3 : 7)],
];

interface Row {
  result: GoalResult;
  seconds: number;
  loadBefore: number;
  loadAfter: number;
}

function verdict(pass: boolean | undefined): string {
  return pass === undefined ? 'reported' : pass ? 'PASS' : 'FAIL';
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')).join('\n');
}

async function main(): Promise<void> {
  if (!existsSync(handlerBundle))
    throw new Error('dist/ingest/index.mjs is missing: run `npm run build` first');
  const m = machine();
  const started = new Date();
  console.log(`bench: ${m.cpu}, ${m.cores} cores, ${m.memory}, Node ${m.node} (${m.platform})`);
  const rows: Row[] = [];
  for (const [id, run] of goals) {
    if (only !== undefined && !only.has(id)) continue;
    const loadBefore = load1();
    const t0 = performance.now();
    console.log(`\n[goal ${id}] running…`);
    const results = [await run()].flat();
    const seconds = (performance.now() - t0) / 1000;
    for (const result of results) {
      rows.push({ result, seconds, loadBefore, loadAfter: load1() });
      console.log(
        `[goal ${result.id}] ${result.title}: ${result.figure} — goal ${result.goal}: ${verdict(result.pass)}`,
      );
      for (const line of result.details) console.log(`  ${line}`);
    }
  }
  const totalSeconds = (Date.now() - started.getTime()) / 1000;

  console.log(
    `\n${table([
      ['#', 'measure', 'figure', 'goal', 'result'],
      ...rows.map(({ result: r }) => [String(r.id), r.title, r.figure, r.goal, verdict(r.pass)]),
    ])}`,
  );
  console.log(`\n${rows.length} benchmarks in ${totalSeconds.toFixed(0)} s`);

  if (only !== undefined || quick) {
    console.log('(partial or quick run: bench/RESULTS.md not written)');
    return;
  }
  const md = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (`npm run build && tsx bench/run.ts`); do not edit by hand. Every figure is a ratio',
    'or a median measured side by side in this one run: the candidates of a benchmark alternate round by round (the',
    'order flipping every round), and the spread is the interquartile range (IQR) of the per-round values.',
    '',
    `- command: \`npm run bench\``,
    `- date: ${started.toISOString()}`,
    `- machine: ${m.cpu}, ${m.cores} cores, ${m.memory} RAM, ${m.platform}`,
    `- Node.js: ${m.node}`,
    `- duration: ${totalSeconds.toFixed(0)} s`,
    '',
    '| # | measure | figure | goal | result | 1-min load before → after |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      ({ result: r, loadBefore, loadAfter }) =>
        `| ${r.id} | ${r.title} | ${r.figure} | ${r.goal} | ${verdict(r.pass)} | ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)} |`,
    ),
    '',
    `A load above ${m.cores} means other work competed for the CPU during that benchmark: ratios hold up under load`,
    'far better than absolute times (goals 4 and 4a are absolute times).',
    '',
    ...rows.flatMap(({ result: r, seconds }) => [
      `## ${r.id}. ${r.title}`,
      '',
      `Goal: ${r.goal}. Result: **${verdict(r.pass)}** (${r.figure}; ${seconds.toFixed(0)} s).`,
      '',
      ...r.details.map((d) => `- ${d}`),
      '',
    ]),
  ].join('\n');
  writeFileSync(join(projectRoot, 'bench', 'RESULTS.md'), md);
  formatMarkdown(join(projectRoot, 'bench', 'RESULTS.md'));
  console.log('wrote bench/RESULTS.md');
}

await main();
