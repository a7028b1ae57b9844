// SigV4 for Amazon Managed Service for Prometheus (service `aps`). Every attempt is signed afresh: a
// signature is valid for 5 minutes and binds x-amz-date, so a retry after a long back-off must not reuse one.
import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { AuthError, type Authenticator, type OutgoingRequest } from './authenticator.js';

export interface SigV4Options {
  readonly region: string;
  /** @default 'aps' */
  readonly service?: string;
  /** @default the AWS SDK's default chain (env, web identity, container/instance role; session tokens kept) */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Milliseconds since the epoch; replaceable so tests can pin the signing time. */
  readonly clock?: () => number;
}

export function sigv4Authenticator(options: SigV4Options): Authenticator {
  const signer = new SignatureV4({
    service: options.service ?? 'aps',
    region: options.region,
    // The chain caches credentials and refreshes them shortly before they expire.
    credentials: options.credentials ?? defaultProvider(),
    sha256: Sha256,
  });
  const clock = options.clock ?? Date.now;
  // The session token of the last signature: the one credential of SigV4 that travels in the request.
  let sessionToken: string | undefined;
  return {
    async authorize(request: OutgoingRequest) {
      const url = request.url;
      const query: Record<string, string | string[]> = {};
      for (const [key, value] of url.searchParams) {
        const existing = query[key];
        if (existing === undefined) query[key] = value;
        else query[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
      }
      const unsigned = new HttpRequest({
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port === '' ? {} : { port: Number(url.port) }),
        path: url.pathname,
        query,
        headers: { ...request.headers },
        body: request.body,
      });
      let signed: HttpRequest;
      try {
        signed = (await signer.sign(unsigned, { signingDate: new Date(clock()) })) as HttpRequest;
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
    // The credential chain refreshes on expiry by itself; a 403 here is an IAM or clock problem.
    invalidate: () => false,
    secrets: () => (sessionToken === undefined ? [] : [sessionToken]),
  };
}
