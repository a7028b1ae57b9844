// An SQS-compatible server in this process (fauxqs), for `iotprom local` and the tests. It listens on
// loopback only; its queue URLs name the host `sqs.<region>.localhost`, which does not resolve here, so
// every SQS client must be given `endpoint` explicitly (or AWS_ENDPOINT_URL_SQS).
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import type { AddressInfo } from 'node:net';

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
  /** Where the listener is bound, as the socket reports it (127.0.0.1 only). */
  readonly listenAddress: AddressInfo;
  /** A source queue with a redrive policy to its own dead-letter queue, as the CDK stack creates them. */
  createQueuePair(name: string, options?: QueuePairOptions): Promise<QueuePair>;
  /** An SQS client bound to this server, with static dummy credentials. */
  client(): SQSClient;
  stop(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';

export async function startSqsServer(options: { port?: number; region?: string } = {}): Promise<SqsServer> {
  const region = options.region ?? 'us-east-1';
  // Not fauxqs' startFauxqs: in 1.9.2 it binds 0.0.0.0 whatever `host` says, and an unauthenticated SQS
  // endpoint on an operator's laptop must not be reachable from the network. buildApp + listen is the
  // same server with the bind address in our hands.
  const app = buildApp({
    logger: false,
    // `host` only names the host of queue URLs (`sqs.<region>.localhost:<port>`). An IP here would give
    // `sqs.<region>.127.0.0.1`, which URL parsers (and the SDK) reject as a malformed IPv4 address.
    host: 'localhost',
    defaultRegion: region,
  });
  await app.listen({ port: options.port ?? 0, host: LOOPBACK });
  const listenAddress = app.server.address();
  if (listenAddress === null || typeof listenAddress === 'string') {
    await app.close();
    throw new Error(`the SQS server is not listening on a TCP port (address: ${String(listenAddress)})`);
  }
  const endpoint = `http://${LOOPBACK}:${listenAddress.port}`;
  const client = (): SQSClient =>
    new SQSClient({
      region,
      endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  // One client for setup calls; fauxqs takes the queue's region from the request signature.
  const setup = client();

  async function createQueue(
    name: string,
    attributes: Record<string, string>,
  ): Promise<{ url: string; arn: string }> {
    const created = await setup.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    const url = created.QueueUrl;
    if (url === undefined) throw new Error(`CreateQueue ${name} answered without a QueueUrl`);
    const described = await setup.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
    );
    const arn = described.Attributes?.QueueArn;
    if (arn === undefined) throw new Error(`GetQueueAttributes ${name} answered without a QueueArn`);
    return { url, arn };
  }

  return {
    endpoint,
    region,
    listenAddress,
    async createQueuePair(name, pairOptions = {}) {
      const dlq = await createQueue(`${name}-dlq`, { MessageRetentionPeriod: String(14 * 24 * 3600) });
      const queue = await createQueue(name, {
        VisibilityTimeout: String(pairOptions.visibilityTimeoutSeconds ?? 30),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlq.arn,
          maxReceiveCount: pairOptions.maxReceiveCount ?? 5,
        }),
      });
      return {
        queueUrl: queue.url,
        queueArn: queue.arn,
        deadLetterQueueUrl: dlq.url,
        deadLetterQueueArn: dlq.arn,
      };
    },
    client,
    async stop() {
      setup.destroy();
      await app.close();
    },
  };
}
