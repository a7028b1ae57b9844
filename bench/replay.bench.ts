// Replay's throughput against fauxqs: messages per second moved from a dead-letter queue to its source queue
// (receive, SendMessageBatch, DeleteMessageBatch), with realistic dead letters (a report body, one own
// attribute and the three bridge-* attributes). Same code as `iotprom replay`, without the process start.
// Run: npx tsx bench/replay.bench.ts [messages=5000] [runs=3] [concurrency=1]
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { startSqsServer } from '../cli/local/sqs-server.js';
import { replay } from '../cli/replay/replay.js';
import { pipelineDecoder } from '../cli/replay/sample-age.js';

const messages = Number(process.argv[2] ?? 5000);
const runs = Number(process.argv[3] ?? 3);
const concurrency = Number(process.argv[4] ?? 1);

async function main(): Promise<void> {
  const server = await startSqsServer();
  const sqs = server.client();
  const rates: number[] = [];
  try {
    for (let run = 1; run <= runs; run += 1) {
      const pair = await server.createQueuePair(`bench-${run}`);
      for (let start = 0; start < messages; start += 10) {
        await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: pair.deadLetterQueueUrl,
            Entries: Array.from({ length: Math.min(10, messages - start) }, (_, i) => ({
              Id: `e${i}`,
              MessageBody: JSON.stringify({
                labels: { device: `d-${(start + i) % 100}`, site: 'north' },
                timestamp: Date.now(),
                metrics: { temperature_celsius: 21.5, humidity_percent: 40, battery_percent: 88 },
              }),
              MessageAttributes: {
                device: { DataType: 'String', StringValue: `d-${(start + i) % 100}` },
                'bridge-error-kind': { DataType: 'String', StringValue: 'rejected-by-receiver' },
                'bridge-error': { DataType: 'String', StringValue: 'HTTP 400: out of order sample' },
                'bridge-source-message-id': { DataType: 'String', StringValue: `m${start + i}` },
              },
            })),
          }),
        );
      }
      const summary = await replay({
        sqs,
        from: pair.deadLetterQueueUrl,
        to: pair.queueUrl,
        decoder: pipelineDecoder,
        // fauxqs answers at once; the idle receives that end the scan would otherwise add seconds.
        waitTimeSeconds: 0,
        idleReceives: 1,
        concurrency,
      });
      if (summary.moved !== messages) throw new Error(`moved ${summary.moved} of ${messages}`);
      const rate = (summary.moved / summary.elapsedMs) * 1000;
      rates.push(rate);
      console.log(
        `run ${run}: ${summary.moved} messages in ${summary.elapsedMs} ms = ${rate.toFixed(0)} msg/s`,
      );
    }
  } finally {
    await server.stop();
  }
  rates.sort((a, b) => a - b);
  console.log(
    `median ${rates[Math.floor(rates.length / 2)]?.toFixed(0)} msg/s over ${runs} runs of ${messages} messages, concurrency ${concurrency}`,
  );
}

await main();
