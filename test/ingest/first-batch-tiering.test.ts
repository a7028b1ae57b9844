// The first batch after a cold start is planned with V8's mid-tier compiler (Maglev) off, and every later one with
// it on (functions/ingest/first-batch-tiering.ts). V8 tells which compiler it picks for a function under
// --trace-opt ("marking <JSFunction name> for optimization to MAGLEV"), so these tests read that, in a child on the
// runtime's Node, rather than timings.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { firstBatchTieringApplies, type RuntimeFacts } from '../../functions/ingest/first-batch-tiering.js';
import { runtimeNode } from '../../scripts/runtime-node.mjs';
import { bundlePath } from './harness.js';

/** Names of the functions V8 marked for `tier` in a --trace-opt log. */
function marked(log: string, tier: 'MAGLEV' | 'TURBOFAN_JS'): Set<string> {
  const names = new Set<string>();
  for (const match of log.matchAll(/marking .*?<JSFunction (\S+).*? for optimization to (\w+)/g))
    if (match[2] === tier) names.add(match[1]!);
  return names;
}

function traceOpt(args: readonly string[]): string {
  const result = spawnSync(runtimeNode(), ['--trace-opt', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '' },
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

test('applies on Node 24 with Maglev built in, unless an option chooses compiler tiers', () => {
  const node24 = { nodeVersion: '24.22.3', execArgv: [], nodeOptions: '', maglevBuilt: 1 };
  const applies = (change: Partial<RuntimeFacts>): boolean =>
    firstBatchTieringApplies({ ...node24, ...change });
  assert.equal(applies({}), true);
  assert.equal(applies({ execArgv: ['--trace-opt'], nodeOptions: '--max-old-space-size=400' }), true);
  assert.equal(applies({ maglevBuilt: true }), true);
  assert.equal(applies({ nodeVersion: '22.12.0' }), false, 'measured on 24 only');
  assert.equal(applies({ nodeVersion: '26.1.0' }), false, 'measured on 24 only');
  assert.equal(applies({ maglevBuilt: 0 }), false, 'a build without Maglev');
  assert.equal(applies({ maglevBuilt: undefined }), false, 'a build that does not say');
  assert.equal(applies({ execArgv: ['--no-maglev'] }), false);
  assert.equal(applies({ execArgv: ['--max-opt=2'] }), false);
  assert.equal(applies({ nodeOptions: '--jitless' }), false);
  assert.equal(applies({ execArgv: ['--max_opt=2'] }), false, 'V8 reads _ as -');
  assert.equal(applies({ execArgv: ['--no-opt'] }), false, "TurboFan's old name");
  assert.equal(applies({ nodeOptions: '--enable-source-maps --max-semi-space-size=16' }), true);
  // The runtime these tests run on is the function's.
  assert.equal(firstBatchTieringApplies(), true);
});

test('a small first batch compiles without Maglev, even when it throws; what runs after it, or a large first batch, with it', () => {
  const module = pathToFileURL(
    new URL('../../functions/ingest/first-batch-tiering.ts', import.meta.url).pathname,
  ).href;
  const script = `const { FirstBatchTiering } = await import(${JSON.stringify(module)});
function hotInFirstRun(x) { let s = 0; for (let i = 0; i < 40; i++) s += (x * i) % 7; return s; }
function hotAfterIt(x) { let s = 0; for (let i = 0; i < 40; i++) s += (x * i) % 5; return s; }
function hotInSecondRun(x) { let s = 0; for (let i = 0; i < 40; i++) s += (x * i) % 3; return s; }
function hotInLargeFirstRun(x) { let s = 0; for (let i = 0; i < 40; i++) s += (x * i) % 11; return s; }
const loop = (f) => { let t = 0; for (let i = 0; i < 300000; i++) t += f(i); return t; };
const tiering = new FirstBatchTiering(true);
try { tiering.run(1000, () => { loop(hotInFirstRun); throw new Error('planning failed'); }); } catch {}
loop(hotAfterIt);
tiering.run(1000, () => loop(hotInSecondRun));
new FirstBatchTiering(true).run(10000, () => loop(hotInLargeFirstRun));`;
  const log = traceOpt(['--import', 'tsx', '--input-type=module', '-e', script]);
  const maglev = marked(log, 'MAGLEV');
  assert.ok(!maglev.has('hotInFirstRun'), 'Maglev compiled code of the first run');
  assert.ok(marked(log, 'TURBOFAN_JS').has('hotInFirstRun'), 'the first run was not hot enough to tell');
  assert.ok(maglev.has('hotAfterIt'), 'Maglev stayed off after the first run');
  assert.ok(maglev.has('hotInSecondRun'), 'Maglev was off in the second run');
  assert.ok(maglev.has('hotInLargeFirstRun'), 'Maglev was off for a first batch of 10,000 messages');
});

test('the built handler plans its first batch without Maglev, and later batches with it', () => {
  // Method names survive minification: these are the planning pipeline's, each of which Maglev compiled during
  // the first batch before the change.
  const planning = ['admission', 'byText', 'matchAt', 'scan', 'scanObject', 'readLayout', 'writeShaped'];
  const script = `import { createServer } from 'node:http';
const server = createServer((req, res) => { req.resume(); req.on('end', () => res.writeHead(204).end()); });
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
Object.assign(process.env, {
  REMOTE_WRITE_URL: 'http://127.0.0.1:' + server.address().port + '/api/v1/write', REMOTE_WRITE_AUTH: 'none',
  AWS_REGION: 'us-east-1', POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true',
});
const { handler } = await import(${JSON.stringify(pathToFileURL(bundlePath).href)});
const context = { getRemainingTimeInMillis: () => 60000, functionName: 'ingest', awsRequestId: 'r' };
let id = 0;
const record = (device, t) => ({ messageId: 'm' + ++id, receiptHandle: 'h', attributes: { SentTimestamp: String(t) },
  body: JSON.stringify({ name: 'temperature_celsius', value: id % 50, timestamp: t, labels: { device, site: 'plant-1' } }) });
for (let batch = 0; batch < 6; batch++) {
  const t = Date.now() - 60000 + batch * 1000;
  const records = Array.from({ length: 1000 }, (_, i) => record('dev-' + (i % 250), t));
  const { batchItemFailures } = await handler({ Records: records }, context);
  if (batchItemFailures.length > 0) throw new Error('batch ' + batch + ' failed');
  console.log('@@ batch ' + (batch + 1) + ' done');
}
server.close();`;
  const log = traceOpt(['--max-semi-space-size=16', '--input-type=module', '-e', script]);
  const end = log.indexOf('@@ batch 1 done');
  assert.ok(end > 0 && log.includes('@@ batch 6 done'), log.slice(-2000));
  const named = new Set([...marked(log, 'MAGLEV'), ...marked(log, 'TURBOFAN_JS')]);
  assert.ok(
    planning.some((name) => named.has(name)),
    'no planning method is named in the log (are method names minified?)',
  );
  const first = marked(log.slice(0, end), 'MAGLEV');
  for (const name of planning) assert.ok(!first.has(name), `Maglev compiled ${name} in the first batch`);
  // Delivery follows planning in the first batch, with Maglev back on (before node:https loads).
  assert.ok(first.size > 0, 'Maglev was still off when the first batch was sent');
  assert.ok(marked(log.slice(end), 'MAGLEV').size > 0, 'Maglev stayed off after the first batch');
});
