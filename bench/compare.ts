// Two builds of the handler side by side on goal 1b's workload: goal 1b's child (bench/goals/large-fleets-child.ts)
// runs each bundle in fresh processes, alternating which goes first, and the per-round ratios against JSON.parse of
// each are pooled. For judging a change on a machine whose speed moves from day to day: both builds meet the same
// day. Keep the bundle from before a change with, e.g.:
//   npm run build && mkdir -p .tmp && rm -rf .tmp/before && cp -r dist/ingest .tmp/before
// then make the change, and npm run build again.
// Run: npx tsx bench/compare.ts .tmp/before/index.mjs dist/ingest/index.mjs [--fleets 1000,1000000] [--processes 4]
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { INGEST_NODE_OPTIONS } from '../infra/ingest-node-options.js';
import { FLEETS, throughputChildEnv } from './goals/large-fleets.js';
import { runChild } from './lib/child.js';
import { startSink } from './lib/sink.js';
import { formatSpread, ratios, spread } from './lib/stats.js';

interface ChildTimes {
  times: { cpu: Record<'handler' | 'JSON.parse', number[]> };
  failures: number;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    fleets: { type: 'string', default: FLEETS.join(',') },
    processes: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '9' },
  },
});
if (positionals.length !== 2) {
  console.error('usage: npx tsx bench/compare.ts BEFORE.mjs AFTER.mjs [--fleets 1000,16000] [--processes 4]');
  process.exit(2);
}
const bundles = { before: resolve(positionals[0]!), after: resolve(positionals[1]!) };
const sink = await startSink();
try {
  for (const devices of values.fleets.split(',').map(Number)) {
    const handler = { before: [] as number[], after: [] as number[] };
    const parse = { before: [] as number[], after: [] as number[] };
    let failures = 0;
    for (let p = 0; p < Number(values.processes); p++) {
      for (const build of p % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const)) {
        const r = await runChild<ChildTimes>('bench/goals/large-fleets-child.ts', {
          env: {
            ...throughputChildEnv(sink.url, devices, Number(values.rounds)),
            BENCH_HANDLER_BUNDLE: bundles[build],
          },
          nodeArgs: [INGEST_NODE_OPTIONS],
        });
        handler[build].push(...r.times.cpu.handler);
        parse[build].push(...r.times.cpu['JSON.parse']);
        failures += r.failures;
      }
    }
    const line = (build: 'before' | 'after'): string =>
      `${build} ${formatSpread(ratios(parse[build], handler[build]))} (handler ${formatSpread(spread(handler[build]), 1, ' ms')})`;
    console.log(
      `${devices.toLocaleString('en')} devices, x JSON.parse speed: ${line('before')}; ${line('after')}`,
    );
    if (failures > 0) console.log(`  batch item failures: ${failures}`);
  }
} finally {
  await sink.close();
}
