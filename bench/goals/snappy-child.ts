// Goal 3, in a fresh process: native snappy (compressBlock, the bridge's compressor) against snappyjs, on the
// request bodies the bridge actually emits: the planned requests of the goal 1 and goal 5 batches, encoded.
import { createRequire } from 'node:module';
import {
  compressBlock,
  DEFAULT_PIPELINE_CONFIG,
  encodeWriteRequest,
  planBatch,
  type SourceMessage,
} from '../../functions/pipeline/index.js';
import { sendToParent } from '../lib/parent-channel.js';
import { interleaved } from '../lib/stats.js';
import { reportBodies } from '../lib/workload.js';

const require = createRequire(import.meta.url);
const snappyjs = require('snappyjs') as {
  compress(data: Uint8Array): Uint8Array;
  uncompress(data: Uint8Array): Uint8Array;
};

function requestBodies(messages: number, metricsPerMessage: number): Uint8Array[] {
  const now = Date.now();
  const source: SourceMessage[] = reportBodies({
    messages,
    metricsPerMessage,
    devices: 1000,
    startMs: now - 30 * 60_000,
    intervalMs: 10_000,
  }).map((body, i) => ({ messageId: `m${i}`, body, sentTimestampMs: now }));
  return planBatch(source, DEFAULT_PIPELINE_CONFIG).batches.map((b) => encodeWriteRequest(b));
}

const cases: Array<{ name: string; bodies: Uint8Array[] }> = [
  { name: 'goal 1 batch: 10,000 messages × 3 metrics', bodies: requestBodies(10_000, 3) },
  { name: 'goal 5 batch: 10,000 messages × 10 metrics', bodies: requestBodies(10_000, 10) },
  { name: 'a small batch: 10 messages × 3 metrics', bodies: requestBodies(10, 3) },
];

const results = [];
for (const c of cases) {
  for (const body of c.bodies) {
    const back = snappyjs.uncompress(compressBlock(body));
    if (!Buffer.from(back).equals(Buffer.from(body)))
      throw new Error('native snappy output does not round-trip');
  }
  const sizes = c.bodies.map((b) => b.length).sort((a, b) => a - b);
  // Repeat small cases so a round is long enough to time.
  const repeat = Math.max(1, Math.round(2_000_000 / sizes.reduce((n, s) => n + s, 0)));
  let nativeBytes = 0;
  let jsBytes = 0;
  const times = await interleaved(
    {
      native: () => {
        nativeBytes = 0;
        for (let r = 0; r < repeat; r++) for (const b of c.bodies) nativeBytes += compressBlock(b).length;
      },
      snappyjs: () => {
        jsBytes = 0;
        for (let r = 0; r < repeat; r++) for (const b of c.bodies) jsBytes += snappyjs.compress(b).length;
      },
    },
    { warmupRounds: 3, rounds: Number(process.env['BENCH_ROUNDS'] ?? '15'), maxMs: 20_000 },
  );
  results.push({
    name: c.name,
    requests: c.bodies.length,
    minBytes: sizes[0],
    maxBytes: sizes[sizes.length - 1],
    totalBytes: sizes.reduce((n, s) => n + s, 0) * repeat,
    repeat,
    nativeBytes,
    jsBytes,
    times,
  });
}
sendToParent(results);
