// The Lambda entry point. Configuration, clients and the connection pool are created once per execution
// environment (cold start) and reused by every invocation; a configuration error fails the cold start with a
// message naming the variable.
import { SQSClient } from '@aws-sdk/client-sqs';
import { REMOTE_WRITE_HEADERS } from '../pipeline/index.js';
import { noAuth, type Authenticator } from './auth/authenticator.js';
import { secretAuthenticator } from './auth/secret.js';
import { sigv4Authenticator } from './auth/sigv4.js';
import { loadConfig, type IngestConfig } from './config.js';
import { DeadLetterQueue } from './dead-letter.js';
import { createHandler, type IngestHandler } from './handler.js';
import { createObservability } from './observability.js';
import { createRemoteWriteClient } from './remote-write-client.js';

function authenticatorFor(config: IngestConfig): Authenticator {
  switch (config.auth) {
    case 'none':
      return noAuth;
    case 'sigv4':
      return sigv4Authenticator({ region: config.sigv4Region ?? '' });
    case 'bearer':
    case 'basic':
      return secretAuthenticator(config.auth, config.secretArn ?? '');
  }
}

function createIngestHandler(): IngestHandler {
  const observability = createObservability();
  let config: IngestConfig;
  try {
    config = loadConfig();
  } catch (error) {
    observability.logger.error('configuration error', error as Error);
    throw error;
  }
  const authenticator = authenticatorFor(config);
  const client = createRemoteWriteClient({
    url: config.remoteWriteUrl,
    authenticator,
    protocolHeaders: REMOTE_WRITE_HEADERS,
    customHeaders: config.customHeaders,
    maxSockets: config.concurrency,
  });
  // With an endpoint override (local runs) the SDK would otherwise send to the queue URL's own host, which
  // for local SQS servers does not resolve; an explicit endpoint turns that redirection off.
  const sqsEndpoint = process.env['AWS_ENDPOINT_URL_SQS'] ?? process.env['AWS_ENDPOINT_URL'];
  const deadLetterQueue =
    config.deadLetterQueueUrl === undefined
      ? undefined
      : new DeadLetterQueue(
          new SQSClient(sqsEndpoint === undefined || sqsEndpoint === '' ? {} : { endpoint: sqsEndpoint }),
          config.deadLetterQueueUrl,
        );
  observability.logger.info('ingest function configured', {
    remoteWriteUrl: `${config.remoteWriteUrl.origin}${config.remoteWriteUrl.pathname}`,
    auth: config.auth,
    deadLetterQueue: config.deadLetterQueueUrl ?? 'none',
    concurrency: config.concurrency,
  });
  return createHandler({
    config,
    client,
    authenticator,
    ...(deadLetterQueue === undefined ? {} : { deadLetterQueue }),
    observability,
  });
}

export const handler: IngestHandler = createIngestHandler();
