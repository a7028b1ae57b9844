// The Lambda entry point. Configuration, clients and the connection pool are created once per execution
// environment (cold start) and reused by every invocation; a configuration error fails the cold start with a
// message naming the variable.
//
// The AWS SDK clients are most of the bundle and most of its import time, so each is loaded only where it is
// needed: the SigV4 signer only for `sigv4`, Secrets Manager only for `bearer`/`basic` (at cold start: a missing
// secret fails the cold start), and the SQS client only when a message is first dead-lettered. esbuild splits
// them into chunks beside index.mjs. The SigV4 signer and the receiver's transport (node:https, which brings
// OpenSSL's initialisation and the root certificates) are made when the first request is sent: a cold start's
// import then stays as small as without authentication, and the first batch pays for them instead.
import { loadRoutes } from '../routes/load.js';
import { REMOTE_WRITE_HEADERS } from '../pipeline/index.js';
import { noAuth, type Authenticator } from './auth/authenticator.js';
import { loadConfig, type IngestConfig } from './config.js';
import type { DeadLetter, DeadLetterResult, DeadLetterSender, DeadLetterSendOptions } from './dead-letter.js';
import { createHandler, type IngestHandler } from './handler.js';
import { createObservability } from './observability.js';
import { createRemoteWriteClient, type RemoteWriteClient } from './remote-write-client.js';

async function authenticatorFor(config: IngestConfig): Promise<Authenticator> {
  switch (config.auth) {
    case 'none':
      return noAuth;
    case 'sigv4':
      return lazySigV4(config.sigv4Region ?? '');
    case 'bearer':
    case 'basic': {
      const { secretAuthenticator } = await import('./auth/secret.js');
      return secretAuthenticator(config.auth, config.secretArn ?? '');
    }
  }
}

/** A SigV4 authenticator whose module (the signer and node:crypto) is loaded for the first request. */
function lazySigV4(region: string): Authenticator {
  let signer: Authenticator | undefined;
  let loading: Promise<Authenticator> | undefined;
  return {
    async authorize(request) {
      loading ??= import('./auth/sigv4.js').then(({ sigv4Authenticator }) => {
        signer = sigv4Authenticator({ region });
        return signer;
      });
      return (await loading).authorize(request);
    },
    invalidate: () => signer?.invalidate() ?? false,
    // Redaction must know the session token the signer sends, once it has loaded.
    secrets: () => signer?.secrets?.() ?? [],
  };
}

/** A remote-write client made on its first send, with its connection pool and transport module. */
function lazyClient(create: () => RemoteWriteClient): RemoteWriteClient {
  let client: RemoteWriteClient | undefined;
  return {
    send: (body, timeoutMs) => (client ??= create()).send(body, timeoutMs),
    close: () => client?.close(),
  };
}

/**
 * Per-call bounds of the SQS client's HTTP handler. SendMessageBatch answers in well under a second; the
 * handler's abort signal bounds the whole call by the Lambda deadline, these bound each try within it.
 */
const SQS_CONNECTION_TIMEOUT_MS = 2_000;
const SQS_REQUEST_TIMEOUT_MS = 5_000;

/** A dead-letter queue whose SQS client is loaded on first use; a failed load fails that send, not the batch. */
function lazyDeadLetterQueue(queueUrl: string, endpoint: string | undefined): DeadLetterSender {
  let queue: Promise<DeadLetterSender> | undefined;
  return {
    async send(letters: readonly DeadLetter[], options?: DeadLetterSendOptions): Promise<DeadLetterResult> {
      try {
        queue ??= Promise.all([import('@aws-sdk/client-sqs'), import('./dead-letter.js')]).then(
          ([{ SQSClient }, { DeadLetterQueue }]) =>
            new DeadLetterQueue(
              new SQSClient({
                ...(endpoint === undefined || endpoint === '' ? {} : { endpoint }),
                requestHandler: {
                  connectionTimeout: SQS_CONNECTION_TIMEOUT_MS,
                  requestTimeout: SQS_REQUEST_TIMEOUT_MS,
                  throwOnRequestTimeout: true,
                },
              }),
              queueUrl,
            ),
        );
        return await (await queue).send(letters, options);
      } catch (error) {
        queue = undefined;
        const text = error instanceof Error ? error.message : String(error);
        return { sent: [], failed: letters.map((l) => ({ messageId: l.record.messageId, error: text })) };
      }
    },
  };
}

async function createIngestHandler(): Promise<IngestHandler> {
  const observability = createObservability();
  let config: IngestConfig;
  try {
    config = loadConfig();
  } catch (error) {
    observability.logger.error('configuration error', error as Error);
    throw error;
  }
  const authenticator = await authenticatorFor(config);
  const client = lazyClient(() =>
    createRemoteWriteClient({
      url: config.remoteWriteUrl,
      authenticator,
      protocolHeaders: REMOTE_WRITE_HEADERS,
      customHeaders: config.customHeaders,
      maxSockets: config.concurrency,
    }),
  );
  // With an endpoint override (local runs) the SDK would otherwise send to the queue URL's own host, which
  // for local SQS servers does not resolve; an explicit endpoint turns that redirection off.
  const sqsEndpoint = process.env['AWS_ENDPOINT_URL_SQS'] ?? process.env['AWS_ENDPOINT_URL'];
  const deadLetterQueue =
    config.deadLetterQueueUrl === undefined
      ? undefined
      : lazyDeadLetterQueue(config.deadLetterQueueUrl, sqsEndpoint);
  observability.logger.info('ingest function configured', {
    remoteWriteUrl: `${config.remoteWriteUrl.origin}${config.remoteWriteUrl.pathname}`,
    auth: config.auth,
    deadLetterQueue: config.deadLetterQueueUrl ?? 'none',
    concurrency: config.concurrency,
  });
  // Read once per execution environment; an invalid routes file fails the cold start rather than every message.
  const routes = loadRoutes();
  return createHandler({
    config,
    client,
    authenticator,
    ...(deadLetterQueue === undefined ? {} : { deadLetterQueue }),
    observability,
    ...(routes === undefined ? {} : { routes }),
  });
}

export const handler: IngestHandler = await createIngestHandler();
