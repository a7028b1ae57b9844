// SigV4 for Amazon Managed Service for Prometheus (service `aps`). Every attempt is signed afresh: a
// signature is valid for 5 minutes and binds x-amz-date, so a retry after a long back-off must not reuse one.
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  Checksum,
  SourceData,
} from '@smithy/types';
import { AuthError, type Authenticator, type OutgoingRequest } from './authenticator.js';

export interface SigV4Options {
  readonly region: string;
  /** @default 'aps' */
  readonly service?: string;
  /**
   * @default the environment's credentials when AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set (as Lambda
   * sets them for the execution role), otherwise the AWS SDK's default chain (web identity, container/instance
   * role; session tokens kept)
   */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Milliseconds since the epoch; replaceable so tests can pin the signing time. */
  readonly clock?: () => number;
}

function toBytes(data: SourceData): Uint8Array | string {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** SHA-256 (or HMAC-SHA-256 given a secret) on node:crypto, in the shape SignatureV4 constructs. */
export class NodeSha256 implements Checksum {
  private state: Hash | Hmac;

  constructor(private readonly secret?: SourceData) {
    this.state = this.fresh();
  }

  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(this.secret));
  }

  update(chunk: Uint8Array | string): void {
    this.state.update(typeof chunk === 'string' ? chunk : toBytes(chunk));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.state.digest()));
  }

  reset(): void {
    this.state = this.fresh();
  }
}

/**
 * Credentials as the AWS SDK's `fromEnv` reads them. Lambda puts the execution role's session credentials in
 * these variables, and the SDK's chain would return them first anyway; reading them here spares the cold start
 * the chain's providers and their SDK clients, which are loaded only when the variables are absent.
 */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): AwsCredentialIdentity | undefined {
  const accessKeyId = env['AWS_ACCESS_KEY_ID'];
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'];
  if (!accessKeyId || !secretAccessKey) return undefined;
  const sessionToken = env['AWS_SESSION_TOKEN'];
  const expiry = env['AWS_CREDENTIAL_EXPIRATION'];
  return {
    accessKeyId,
    secretAccessKey,
    ...(sessionToken ? { sessionToken } : {}),
    ...(expiry ? { expiration: new Date(expiry) } : {}),
  };
}

function defaultCredentials(): AwsCredentialIdentity | AwsCredentialIdentityProvider {
  const fromEnv = credentialsFromEnv();
  if (fromEnv !== undefined) return fromEnv;
  let chain: Promise<AwsCredentialIdentityProvider> | undefined;
  // The chain caches credentials and refreshes them shortly before they expire.
  return async () => {
    chain ??= import('@aws-sdk/credential-provider-node').then(({ defaultProvider }) => defaultProvider());
    return (await chain)();
  };
}

function signableRequest(request: OutgoingRequest): HttpRequest {
  const url = request.url;
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const existing = query[key];
    if (existing === undefined) query[key] = value;
    else query[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return new HttpRequest({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port === '' ? {} : { port: Number(url.port) }),
    path: url.pathname,
    query,
    headers: { ...request.headers },
    body: request.body,
  });
}

export function sigv4Authenticator(options: SigV4Options): Authenticator {
  const signer = new SignatureV4({
    service: options.service ?? 'aps',
    region: options.region,
    credentials: options.credentials ?? defaultCredentials(),
    sha256: NodeSha256,
  });
  const clock = options.clock ?? Date.now;
  // The session token of the last signature: the one credential of SigV4 that travels in the request.
  let sessionToken: string | undefined;
  return {
    async authorize(request: OutgoingRequest) {
      let signed: HttpRequest;
      try {
        signed = (await signer.sign(signableRequest(request), {
          signingDate: new Date(clock()),
        })) as HttpRequest;
      } catch (error) {
        throw new AuthError(`SigV4 signing failed: ${(error as Error).message}`, { cause: error });
      }
      sessionToken = signed.headers['x-amz-security-token'] ?? sessionToken;
      const added: Record<string, string> = {};
      for (const [name, value] of Object.entries(signed.headers)) {
        if (request.headers[name] !== value) added[name] = value;
      }
      return added;
    },
    // Lambda's environment credentials last the environment's lifetime and the SDK chain refreshes its own on
    // expiry; a 403 here is an IAM or clock problem.
    invalidate: () => false,
    secrets: () => (sessionToken === undefined ? [] : [sessionToken]),
  };
}
