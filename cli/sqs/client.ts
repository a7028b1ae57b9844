// The SQS client every command uses. The SDK's own chain supplies region, credentials and
// AWS_ENDPOINT_URL_SQS; the command line may override region and endpoint. When the chain has no region,
// the queue URL names it (`https://sqs.<region>.amazonaws.com/...`), so the operator need not repeat it.
import { SQSClient } from '@aws-sdk/client-sqs';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { CliError, ExitCode } from '../exit-codes.js';

export interface SqsConnectionOptions {
  readonly region?: string;
  readonly endpointUrl?: string;
}

/**
 * The region a queue URL names: `sqs.<region>.amazonaws.com[.cn]`, the legacy `<region>.queue.amazonaws.com`,
 * and local endpoints' `sqs.<region>.localhost`. Undefined when the host names none.
 */
export function regionFromQueueUrl(queueUrl: string | undefined): string | undefined {
  if (queueUrl === undefined) return undefined;
  let host: string;
  try {
    host = new URL(queueUrl).hostname;
  } catch {
    return undefined;
  }
  const match =
    /^sqs[.-]([a-z]{2}(?:-[a-z]+)+-\d+)\./.exec(host) ?? /^([a-z]{2}(?:-[a-z]+)+-\d+)\.queue\./.exec(host);
  return match?.[1];
}

/** The endpoint the client will use, when one is set explicitly or in the environment. */
export function configuredEndpoint(options: SqsConnectionOptions): string | undefined {
  const endpoint = options.endpointUrl ?? process.env.AWS_ENDPOINT_URL_SQS ?? process.env.AWS_ENDPOINT_URL;
  return endpoint === undefined || endpoint === '' ? undefined : endpoint;
}

function isLoopback(endpoint: string | undefined): boolean {
  if (endpoint === undefined) return false;
  try {
    const host = new URL(endpoint).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}

/** The SDK's region chain, then the queue URL's region, then a CliError saying what to do. */
function regionProvider(queueUrl: string | undefined): () => Promise<string> {
  let resolved: Promise<string> | undefined;
  return () =>
    (resolved ??= (async () => {
      const probe = new SQSClient({});
      try {
        return await probe.config.region();
      } catch {
        const fromUrl = regionFromQueueUrl(queueUrl);
        if (fromUrl !== undefined) return fromUrl;
        throw new CliError(
          'no AWS region: pass --region <region>, or set AWS_REGION (the queue URL names none)',
          ExitCode.awsConfig,
        );
      } finally {
        probe.destroy();
      }
    })());
}

/**
 * Creates the client. `queueUrl` is the queue the command works on, used for the region when none is
 * configured. A loopback endpoint (fauxqs, `iotprom local`) checks no credentials, so dummy ones stand in
 * when the chain finds none.
 */
export function createSqsClient(options: SqsConnectionOptions, queueUrl?: string): SQSClient {
  // An endpoint that only comes from the environment loses to the queue URL's host (the SDK's
  // useQueueUrlAsEndpoint), and local queue URLs name hosts that do not resolve; given explicitly, it wins.
  const endpoint = configuredEndpoint(options);
  const chain = defaultProvider();
  const localCredentials = async (): Promise<{ accessKeyId: string; secretAccessKey: string }> => {
    try {
      return await chain();
    } catch {
      return { accessKeyId: 'local', secretAccessKey: 'local' };
    }
  };
  return new SQSClient({
    region: options.region ?? regionProvider(queueUrl),
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(isLoopback(endpoint) ? { credentials: localCredentials } : {}),
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

/** True when SQS answered that the queue does not exist. */
export function isMissingQueue(error: unknown): boolean {
  const name = awsErrorName(error);
  const code = (error as { Code?: unknown } | undefined)?.Code;
  return (
    name === 'QueueDoesNotExist' ||
    name === 'AWS.SimpleQueueService.NonExistentQueue' ||
    code === 'AWS.SimpleQueueService.NonExistentQueue'
  );
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
