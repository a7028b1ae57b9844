// Goal 2, in a fresh process: encode + compress of 100,000 samples, the bridge against the npm package
// prometheus-remote-write, from the same series, in alternating rounds.
//   bridge:  the planned requests as the pipeline hands them over (labels validated and sorted by byte order,
//            split by the default request limits), each encoded (encode.ts) and compressed (native snappy);
//   bridge + planning: the same, starting from label records: validating and sorting the labels, building the
//            series and splitting them are timed too (reported beside the goal, for a fuller picture);
//   package: its request mapping (pushTimeseries' timeseries → WriteRequest object), its serialize (protobufjs
//            verify + encode) and its own snappyjs, exactly the steps pushTimeseries takes before sending.
import { createRequire } from 'node:module';
import {
  compareLabelNames,
  compressBlock,
  DEFAULT_REQUEST_LIMITS,
  encodeWriteRequestView,
  RequestEncoder,
  splitIntoBatches,
  type Label,
  type PlainSeries,
  writeBatchOf,
  type SeriesSample,
  type WriteBatch,
} from '../../functions/pipeline/index.js';
import { isValidLabelName, isValidMetricName } from '../../functions/pipeline/names.js';
import { sendToParent } from '../lib/parent-channel.js';
import { interleaved } from '../lib/stats.js';
import { METRIC_NAMES, deviceName, sampleValue } from '../lib/workload.js';

const require = createRequire(import.meta.url);
const packageMain = require.resolve('prometheus-remote-write');
const { serialize } = require('prometheus-remote-write') as {
  serialize(payload: unknown): Promise<Uint8Array>;
};
// The package's own snappyjs (it pins a version of its own), resolved the way its index.js resolves it.
const snappyjs = createRequire(packageMain)('snappyjs') as { compress(data: Uint8Array): Uint8Array };

const SERIES = 10_000;
const SAMPLES_PER_SERIES = 10;
const SAMPLES = SERIES * SAMPLES_PER_SERIES;
const startMs = Date.now() - 30 * 60_000;

/** The input both start from: what a caller of pushTimeseries holds, labels as a record. */
interface InputSeries {
  labels: Record<string, string>;
  samples: Array<{ value: number; timestamp: number }>;
}

const input: InputSeries[] = [];
for (let s = 0; s < SERIES; s++) {
  const device = Math.floor(s / METRIC_NAMES.length);
  const metric = s % METRIC_NAMES.length;
  const samples = [];
  for (let i = 0; i < SAMPLES_PER_SERIES; i++)
    samples.push({ value: sampleValue(device, i, metric), timestamp: startMs + i * 10_000 });
  input.push({
    labels: { __name__: METRIC_NAMES[metric]!, device: deviceName(device), site: 'north', firmware: '1.4.2' },
    samples,
  });
}

let requests = 0;
const ONE_MESSAGE: readonly number[] = Object.freeze([0]);

/** What the pipeline does before encoding: labels validated and sorted, series built, requests split. */
function plan(): WriteBatch[] {
  const series: PlainSeries[] = [];
  for (const item of input) {
    const labels: Label[] = [];
    for (const name in item.labels) {
      const value = item.labels[name]!;
      const valid = name === '__name__' ? isValidMetricName(value) : isValidLabelName(name);
      if (!valid || value === '') throw new Error(`invalid label ${name}`);
      labels.push({ name, value });
    }
    labels.sort((a, b) => compareLabelNames(a.name, b.name));
    const samples: SeriesSample[] = item.samples.map((x) => ({
      timestampMs: x.timestamp,
      value: x.value,
      stale: false,
      messages: ONE_MESSAGE,
    }));
    series.push({ labels, samples });
  }
  const whole = writeBatchOf(series);
  return splitIntoBatches(whole.columns, whole.series, DEFAULT_REQUEST_LIMITS).batches;
}

// One encoder for the whole run, as the handler keeps one per execution environment: its buffer is reused.
const encoder = new RequestEncoder();

function encodeAndCompress(batches: readonly WriteBatch[]): number {
  let bytes = 0;
  for (const batch of batches) bytes += compressBlock(encodeWriteRequestView(batch, encoder)).length;
  requests = batches.length;
  return bytes;
}

const planned = plan();

async function pkg(): Promise<number> {
  // pushTimeseries' mapping, verbatim in effect (labels via its kv(), samples copied).
  const writeRequest = {
    timeseries: input.map((t) => ({
      labels: Object.entries(t.labels).map(([name, value]) => ({ name, value })),
      samples: t.samples.map((s) => ({ value: s.value, timestamp: s.timestamp ? s.timestamp : Date.now() })),
    })),
  };
  const buffer = await serialize(writeRequest);
  return snappyjs.compress(buffer).length;
}

let bridgeBytes = 0;
let packageBytes = 0;
const times = await interleaved(
  {
    bridge: () => {
      bridgeBytes = encodeAndCompress(planned);
    },
    'bridge + planning': () => {
      bridgeBytes = encodeAndCompress(plan());
    },
    'prometheus-remote-write': async () => {
      packageBytes = await pkg();
    },
  },
  { warmupRounds: 3, rounds: Number(process.env['BENCH_ROUNDS'] ?? '15'), maxMs: 60_000 },
);
sendToParent({
  times,
  samples: SAMPLES,
  series: SERIES,
  bridgeBytes,
  packageBytes,
  requests,
});
