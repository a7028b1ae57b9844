// Filling a queue fast and reading its depth, for the end-to-end benchmark and the soak (reading a queue back:
// test/support/queues.ts).
import { GetQueueAttributesCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** Sends every body (10 per SendMessageBatch, `parallel` batches in flight); retries entries SQS refused. */
export async function sendBodies(
  sqs: SQSClient,
  queueUrl: string,
  bodies: readonly string[],
  parallel = 8,
): Promise<void> {
  let next = 0;
  async function worker(): Promise<void> {
    while (next < bodies.length) {
      const start = next;
      next = Math.min(bodies.length, next + 10);
      let entries = bodies
        .slice(start, next)
        .map((body, i) => ({ Id: String(start + i), MessageBody: body }));
      for (let attempt = 0; entries.length > 0; attempt++) {
        if (attempt > 10) throw new Error(`could not send ${entries.length} messages`);
        const answer = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
        const failed = new Set((answer.Failed ?? []).map((f) => f.Id));
        entries = entries.filter((e) => failed.has(e.Id));
      }
    }
  }
  await Promise.all(Array.from({ length: parallel }, () => worker()));
}

export async function queueCounts(
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number; delayed: number }> {
  const answer = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  const a = answer.Attributes ?? {};
  return {
    visible: Number(a.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}
