// SigV4 for Amazon Managed Service for Prometheus (service `aps`). Every attempt is signed afresh: a
// signature is valid for 5 minutes and binds x-amz-date, so a retry after a long back-off must not reuse one.
// The signing is written here on node:crypto, as @smithy/signature-v4 does it for a header-signed request
// (test/ingest/sigv4.test.ts checks it against that package and against aws4): the package and the @smithy/core
// it brings cost a cold start's first batch more CPU to load than the whole signature takes.
import { createHash, createHmac } from 'node:crypto';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
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

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** Headers SignatureV4 never signs (its ALWAYS_UNSIGNABLE_HEADERS). */
const UNSIGNED_HEADERS = new Set([
  'authorization',
  'cache-control',
  'connection',
  'expect',
  'from',
  'keep-alive',
  'max-forwards',
  'pragma',
  'referer',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'x-amzn-trace-id',
]);
/** Headers the signature replaces: a request's own are neither signed nor kept. */
const GENERATED_HEADERS = new Set(['authorization', 'x-amz-date', 'date']);
const CONTENT_SHA256 = 'x-amz-content-sha256';

/** RFC 3986 percent-encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
function escapeUri(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The path with dot segments and empty segments removed, encoded a second time (every service but S3). */
export function canonicalPath(pathname: string): string {
  const segments: string[] = [];
  for (const segment of pathname.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && pathname.endsWith('/') ? '/' : '';
  const normalized = `${pathname.startsWith('/') ? '/' : ''}${segments.join('/')}${trailing}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

/** Query pairs encoded and sorted by name, a name's values sorted as encoded pairs. */
export function canonicalQuery(params: URLSearchParams): string {
  const byName = new Map<string, string[]>();
  for (const [name, value] of params) {
    if (name.toLowerCase() === 'x-amz-signature') continue;
    const key = escapeUri(name);
    const pairs = byName.get(key) ?? [];
    pairs.push(`${key}=${escapeUri(value)}`);
    byName.set(key, pairs);
  }
  return [...byName.keys()]
    .sort()
    .map((key) => byName.get(key)!.sort().join('&'))
    .join('&');
}

/** The signed headers by lower-case name, values with line breaks and runs of blanks made one space. */
function canonicalHeaders(headers: Readonly<Record<string, string>>): Map<string, string> {
  const signed = new Map<string, string>();
  for (const name of Object.keys(headers).sort()) {
    const value = headers[name];
    const lower = name.toLowerCase();
    if (value === undefined || UNSIGNED_HEADERS.has(lower) || /^(proxy|sec)-/.test(lower)) continue;
    signed.set(
      lower,
      value
        .replace(/[\r\n]/g, ' ')
        .replace(/[ \t]+/g, ' ')
        .replace(/^ | $/g, ''),
    );
  }
  return signed;
}

const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** `20260304T050607Z` */
function amzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

interface Signing {
  readonly credentials: AwsCredentialIdentity;
  readonly region: string;
  readonly service: string;
  readonly date: string;
  /** Derives (or returns the cached) signing key of the day. */
  readonly key: (shortDate: string) => Buffer;
}

/** The headers SigV4 adds to a request: x-amz-date, the session token, the payload hash, authorization. */
export function signatureHeaders(request: OutgoingRequest, signing: Signing): Record<string, string> {
  const { credentials, date } = signing;
  const shortDate = date.slice(0, 8);
  const added: Record<string, string> = { 'x-amz-date': date };
  if (credentials.sessionToken) added['x-amz-security-token'] = credentials.sessionToken;
  const given = Object.entries(request.headers).find(([name]) => name.toLowerCase() === CONTENT_SHA256);
  const payloadHash = given?.[1] ?? sha256Hex(request.body);
  if (given === undefined) added[CONTENT_SHA256] = payloadHash;
  const own = Object.entries(request.headers).filter(([name]) => !GENERATED_HEADERS.has(name.toLowerCase()));
  const headers = canonicalHeaders({ ...Object.fromEntries(own), ...added });
  const names = [...headers.keys()].sort();
  const canonicalRequest = [
    'POST',
    canonicalPath(request.url.pathname),
    canonicalQuery(request.url.searchParams),
    ...names.map((name) => `${name}:${headers.get(name)!}`),
    '',
    names.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${shortDate}/${signing.region}/${signing.service}/aws4_request`;
  const stringToSign = `${ALGORITHM}\n${date}\n${scope}\n${sha256Hex(canonicalRequest)}`;
  const signature = createHmac('sha256', signing.key(shortDate)).update(stringToSign).digest('hex');
  added['authorization'] =
    `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return added;
}

/** The signing key of a day, region and service; derived once a day per secret key. */
function signingKeys(region: string, service: string): (secret: string, shortDate: string) => Buffer {
  let cached: { secret: string; shortDate: string; key: Buffer } | undefined;
  return (secret, shortDate) => {
    if (cached?.secret !== secret || cached.shortDate !== shortDate) {
      let key = hmac(`AWS4${secret}`, shortDate);
      for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
      cached = { secret, shortDate, key };
    }
    return cached.key;
  };
}

async function resolve(
  source: AwsCredentialIdentity | AwsCredentialIdentityProvider,
): Promise<AwsCredentialIdentity> {
  const credentials = typeof source === 'function' ? await source() : source;
  if (typeof credentials?.accessKeyId !== 'string' || typeof credentials.secretAccessKey !== 'string')
    throw new Error('Resolved credential object is not valid');
  return credentials;
}

export function sigv4Authenticator(options: SigV4Options): Authenticator {
  const source = options.credentials ?? defaultCredentials();
  const service = options.service ?? 'aps';
  const keys = signingKeys(options.region, service);
  const clock = options.clock ?? Date.now;
  // The session token of the last signature: the one credential of SigV4 that travels in the request.
  let sessionToken: string | undefined;
  return {
    async authorize(request: OutgoingRequest) {
      let added: Record<string, string>;
      try {
        const credentials = await resolve(source);
        added = signatureHeaders(request, {
          credentials,
          region: options.region,
          service,
          date: amzDate(clock()),
          key: (shortDate) => keys(credentials.secretAccessKey, shortDate),
        });
      } catch (error) {
        throw new AuthError(`SigV4 signing failed: ${(error as Error).message}`, { cause: error });
      }
      sessionToken = added['x-amz-security-token'] ?? sessionToken;
      return added;
    },
    // Lambda's environment credentials last the environment's lifetime and the SDK chain refreshes its own on
    // expiry; a 403 here is an IAM or clock problem.
    invalidate: () => false,
    secrets: () => (sessionToken === undefined ? [] : [sessionToken]),
  };
}
