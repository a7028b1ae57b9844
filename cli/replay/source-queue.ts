// Finds the queue a dead-letter queue serves, for `replay` without `--to`.
import { ListDeadLetterSourceQueuesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CliError, ExitCode } from '../exit-codes.js';
import { isUnsupportedOperation } from '../sqs/client.js';

export async function deadLetterSourceQueue(sqs: SQSClient, deadLetterQueueUrl: string): Promise<string> {
  let urls: string[];
  try {
    const answer = await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: deadLetterQueueUrl }));
    urls = answer.queueUrls ?? [];
  } catch (error) {
    if (isUnsupportedOperation(error)) {
      throw new CliError(
        'this SQS endpoint does not support ListDeadLetterSourceQueues (fauxqs, used by `iotprom local`, ' +
          'does not), so the source queue cannot be found: pass --to <queue-url>',
        ExitCode.usage,
        { cause: error },
      );
    }
    throw error;
  }
  if (urls.length === 1) return urls[0] as string;
  if (urls.length === 0) {
    throw new CliError(
      `no queue names ${deadLetterQueueUrl} as its dead-letter queue: pass --to <queue-url>`,
      ExitCode.usage,
    );
  }
  throw new CliError(
    `${urls.length} queues use ${deadLetterQueueUrl} as their dead-letter queue (${urls.join(', ')}): ` +
      'pass --to <queue-url> to choose one',
    ExitCode.usage,
  );
}
