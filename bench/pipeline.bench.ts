// The pure pipeline alone (decode → normalise → series → split → encode → compress) on 10,000 report messages,
// against JSON.parse of the same bodies, measured side by side in one run. Run: `npx tsx bench/pipeline.bench.ts`.
import {
  compressBlock,
  encodeWriteRequest,
  planBatch,
  type SourceMessage,
} from '../functions/pipeline/index.js';
import { formatSpread, interleaved, ratios, spread } from './lib/stats.js';
import { reportBodies } from './lib/workload.js';

const startMs = Date.now() - 10 * 60_000;
const bodies = reportBodies({
  messages: 10_000,
  metricsPerMessage: 3,
  devices: 1000,
  startMs,
  intervalMs: 5000,
});
const messages: SourceMessage[] = bodies.map((body, i) => ({
  messageId: `m-${i}`,
  body,
  sentTimestampMs: startMs,
}));

let sink = 0;
const times = await interleaved(
  {
    'JSON.parse': () => {
      for (const body of bodies) sink += (JSON.parse(body) as object) === null ? 1 : 0;
    },
    pipeline: () => {
      const plan = planBatch(messages);
      for (const batch of plan.batches) sink += compressBlock(encodeWriteRequest(batch)).length;
    },
  },
  { warmupRounds: 3, rounds: 25 },
);

const parse = spread(times.cpu['JSON.parse']!);
const pipeline = spread(times.cpu['pipeline']!);
console.log(
  `10,000 report messages × 3 metrics (${bodies.reduce((n, b) => n + b.length, 0)} bytes of bodies)`,
);
console.log(`JSON.parse alone:           ${formatSpread(parse, 1, ' ms')} CPU`);
console.log(`decode → … → compress:      ${formatSpread(pipeline, 1, ' ms')} CPU`);
console.log(
  `pipeline speed / JSON.parse speed: ${formatSpread(ratios(times.cpu['JSON.parse']!, times.cpu['pipeline']!), 3)}x` +
    ` (${Math.round(10_000 / (pipeline.median / 1000)).toLocaleString('en')} messages/s)`,
);
if (sink < 0) console.log(sink);
