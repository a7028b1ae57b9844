// An SQS-compatible server in this process (fauxqs), for `iotprom local` and the tests. It listens on
// loopback only; its queue URLs name the host `sqs.<region>.localhost`, which does not resolve here, so
// every SQS client must be given `endpoint` explicitly (or AWS_ENDPOINT_URL_SQS).
import { SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs, type FauxqsServer } from 'fauxqs';

export interface QueuePair {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueArn: string;
}

export interface QueuePairOptions {
  /** Receives after which SQS moves a message to the dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;
  /** Seconds a received message stays invisible. @default 30 */
  readonly visibilityTimeoutSeconds?: number;
}

export interface SqsServer {
  /** `http://127.0.0.1:<port>`: give it to SDK clients as `endpoint`. */
  readonly endpoint: string;
  readonly region: string;
  readonly fauxqs: FauxqsServer;
  /** A source queue with a redrive policy to its own dead-letter queue, as the CDK stack creates them. */
  createQueuePair(name: string, options?: QueuePairOptions): QueuePair;
  /** An SQS client bound to this server, with static dummy credentials. */
  client(): SQSClient;
  stop(): Promise<void>;
}

export async function startSqsServer(options: { port?: number; region?: string } = {}): Promise<SqsServer> {
  const region = options.region ?? 'us-east-1';
  const fauxqs = await startFauxqs({
    port: options.port ?? 0,
    logger: false,
    // `host` only names the host of queue URLs (fauxqs 1.9.2 binds 0.0.0.0 whatever it says). An IP here
    // would give `sqs.<region>.127.0.0.1`, which URL parsers (and the SDK) reject as a malformed IPv4 address.
    host: 'localhost',
    defaultRegion: region,
  });
  const endpoint = `http://127.0.0.1:${fauxqs.port}`;
  return {
    endpoint,
    region,
    fauxqs,
    createQueuePair(name, pairOptions = {}) {
      const dlq = fauxqs.createQueue(`${name}-dlq`, {
        region,
        attributes: { MessageRetentionPeriod: String(14 * 24 * 3600) },
      });
      const queue = fauxqs.createQueue(name, {
        region,
        attributes: {
          VisibilityTimeout: String(pairOptions.visibilityTimeoutSeconds ?? 30),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: dlq.queueArn,
            maxReceiveCount: pairOptions.maxReceiveCount ?? 5,
          }),
        },
      });
      return {
        queueUrl: queue.queueUrl,
        queueArn: queue.queueArn,
        deadLetterQueueUrl: dlq.queueUrl,
        deadLetterQueueArn: dlq.queueArn,
      };
    },
    client() {
      return new SQSClient({
        region,
        endpoint,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
    },
    stop: () => fauxqs.stop(),
  };
}
