// Reading a test queue back: every message waiting in it, with its message and system attributes.
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** Messages visible in the queue now (SQS's approximate count). */
export async function visibleCount(sqs: SQSClient, queueUrl: string): Promise<number> {
  const answer = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(answer.Attributes?.ApproximateNumberOfMessages ?? 0);
}

/**
 * Every message now visible in the queue. They are received with a long visibility timeout so none is seen
 * twice, and not deleted (the queues of the tests and benchmarks are throwaway). An empty receive ends the read
 * only once the queue reports no visible message either, since a receive may come back empty while some remain.
 */
export async function receiveAll(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const answer = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 3600,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = answer.Messages ?? [];
    if (messages.length > 0) all.push(...messages);
    else if ((await visibleCount(sqs, queueUrl)) === 0) return all;
  }
}
