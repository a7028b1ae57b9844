// The SQS client every command uses. The SDK's own chain supplies region, credentials and
// AWS_ENDPOINT_URL_SQS; the command line may override region and endpoint.
import { SQSClient } from '@aws-sdk/client-sqs';

export interface SqsConnectionOptions {
  readonly region?: string;
  readonly endpointUrl?: string;
}

export function createSqsClient(options: SqsConnectionOptions): SQSClient {
  // An endpoint that only comes from the environment loses to the queue URL's host (the SDK's
  // useQueueUrlAsEndpoint), and local queue URLs name hosts that do not resolve; given explicitly, it wins.
  const endpoint = options.endpointUrl ?? process.env.AWS_ENDPOINT_URL_SQS ?? process.env.AWS_ENDPOINT_URL;
  return new SQSClient({
    ...(options.region !== undefined ? { region: options.region } : {}),
    ...(endpoint !== undefined && endpoint !== '' ? { endpoint } : {}),
    // Replay and inspect decide themselves what to retry; the SDK's standard mode adds backoff on throttling.
    maxAttempts: 5,
  });
}

/** The SDK's error name (e.g. `QueueDoesNotExist`, `AccessDenied`) or undefined for non-SDK errors. */
export function awsErrorName(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'name' in error && '$metadata' in error) {
    return String((error as { name: unknown }).name);
  }
  return undefined;
}

/** True when the endpoint does not implement the operation (fauxqs answers `InvalidAction`/`UnknownOperation`). */
export function isUnsupportedOperation(error: unknown): boolean {
  const name = awsErrorName(error);
  const message = error instanceof Error ? error.message : '';
  return (
    name === 'InvalidAction' ||
    name === 'UnknownOperationException' ||
    name === 'UnsupportedOperation' ||
    /unknown action|unknown operation|not supported/i.test(message)
  );
}
