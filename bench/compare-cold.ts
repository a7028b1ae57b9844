// Two builds of the handler side by side on goal 4b's cold start: goal 4b's child (bench/goals/cold-start-child.ts)
// imports each bundle as deployed for AMP in a fresh process and hands it its first batch, which it signs and
// delivers over TLS to a loopback receiver; the builds alternate which goes first, round after round. For judging a
// cold-start change on a machine whose speed moves from hour to hour. Keep the bundle from before a change with:
//   npm run build && mkdir -p .tmp && rm -rf .tmp/before && cp -r dist/ingest .tmp/before
// then make the change, and npm run build again.
// Run: npx tsx bench/compare-cold.ts .tmp/before/index.mjs dist/ingest/index.mjs [--messages 1000] [--rounds 16]
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { environments, eventFile, FIRST_BATCH, firstBatchCpu } from './goals/cold-start.js';
import { compileChild } from './lib/child.js';
import { startHttpsSink } from './lib/https-sink.js';
import { formatSpread, spread } from './lib/stats.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    messages: { type: 'string', default: String(FIRST_BATCH.messages) },
    rounds: { type: 'string', default: '16' },
  },
});
const positive = (text: string): boolean => Number.isInteger(Number(text)) && Number(text) > 0;
if (positionals.length !== 2 || !positive(values.messages) || !positive(values.rounds)) {
  console.error('usage: npx tsx bench/compare-cold.ts BEFORE.mjs AFTER.mjs [--messages 1000] [--rounds 16]');
  process.exit(2);
}
const builds = ['before', 'after'] as const;
const bundles = { before: resolve(positionals[0]!), after: resolve(positionals[1]!) };
const shape = { messages: Number(values.messages), devices: FIRST_BATCH.devices };
const child = await compileChild('bench/goals/cold-start-child.ts');
const file = eventFile('compare-cold', shape);
const sink = await startHttpsSink();
const handler = { before: [] as number[], after: [] as number[] };
const total = { before: [] as number[], after: [] as number[] };
try {
  const env = environments(sink.url, sink.caFile).delivering;
  // One untimed round first, as in goal 4b: it warms the file cache for both builds.
  for (let round = -1; round < Number(values.rounds); round++) {
    for (const build of round % 2 === 0 ? builds : [...builds].reverse()) {
      const cpu = await firstBatchCpu(child, {
        ...env,
        BENCH_HANDLER_BUNDLE: bundles[build],
        BENCH_EVENT_FILE: file,
      });
      if (round < 0) continue;
      handler[build].push(cpu.handlerMs);
      total[build].push(cpu.processMs);
    }
  }
} finally {
  await sink.close();
}
const ms = (values: number[]): string => formatSpread(spread(values), 1, ' ms');
console.log(
  `first batch of ${shape.messages.toLocaleString('en')} messages from ${shape.devices} devices, CPU of fresh processes:`,
);
for (const build of builds)
  console.log(
    `  ${build}: handler call ${ms(handler[build])}; the whole process (start, import, handler call) ${ms(total[build])}`,
  );
