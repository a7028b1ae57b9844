// `bearer` and `basic` auth: the credentials live in Secrets Manager (REMOTE_WRITE_SECRET_ARN). They are cached
// for the life of the execution environment and fetched again once the receiver answers 401/403, which is how
// a rotated secret is picked up without a redeploy.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AuthError, type Authenticator } from './authenticator.js';

/** Returns the secret's string value. */
export type SecretFetcher = (secretArn: string) => Promise<string>;

export function secretsManagerFetcher(
  client: SecretsManagerClient = new SecretsManagerClient({}),
): SecretFetcher {
  return async (secretArn) => {
    const result = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    if (result.SecretString === undefined) {
      throw new AuthError(`secret ${secretArn} has no SecretString (binary secrets are not supported)`);
    }
    return result.SecretString;
  };
}

/** The Authorization header for a secret, and the credentials it carries (for redaction). */
export interface SecretCredentials {
  readonly authorization: string;
  readonly secrets: readonly string[];
}

/** The header and credentials of a secret in the given mode. */
export function credentialsFromSecret(
  mode: 'bearer' | 'basic',
  secret: string,
  secretArn: string,
): SecretCredentials {
  if (mode === 'bearer') {
    const token = secret.trim();
    if (token === '') throw new AuthError(`secret ${secretArn} is empty`);
    return { authorization: `Bearer ${token}`, secrets: [token] };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    throw new AuthError(`secret ${secretArn} must be JSON {"username","password"} for basic auth`);
  }
  const record = parsed as { username?: unknown; password?: unknown } | null;
  if (record === null || typeof record.username !== 'string' || typeof record.password !== 'string') {
    throw new AuthError(`secret ${secretArn} must be JSON {"username","password"} with string values`);
  }
  if (record.username.includes(':'))
    throw new AuthError(`secret ${secretArn}: username must not contain ':'`);
  const pair = `${record.username}:${record.password}`;
  return {
    authorization: `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`,
    secrets: [pair, record.username, record.password],
  };
}

/** The Authorization header value for a secret in the given mode. */
export function authorizationFromSecret(mode: 'bearer' | 'basic', secret: string, secretArn: string): string {
  return credentialsFromSecret(mode, secret, secretArn).authorization;
}

export function secretAuthenticator(
  mode: 'bearer' | 'basic',
  secretArn: string,
  fetchSecret: SecretFetcher = secretsManagerFetcher(),
): Authenticator {
  // One fetch in flight at a time: concurrent requests of a cold start share it.
  let cached: Promise<SecretCredentials> | undefined;
  // The credentials of the last two secret values: a late answer may still echo the one before a rotation.
  let known: readonly string[] = [];
  const credentials = (): Promise<SecretCredentials> => {
    if (cached !== undefined) return cached;
    const pending = fetchSecret(secretArn).then(
      (secret) => {
        const result = credentialsFromSecret(mode, secret, secretArn);
        known = [...new Set([...result.secrets, ...known])].slice(0, 6);
        return result;
      },
      (error: unknown) => {
        if (error instanceof AuthError) throw error;
        throw new AuthError(`cannot read secret ${secretArn}: ${(error as Error).message}`, { cause: error });
      },
    );
    cached = pending;
    // Neither a failed fetch nor a secret that cannot become a header is kept: the next attempt reads the
    // secret again, so a fixed secret is picked up. Only this fetch's own cache entry is dropped.
    pending.catch(() => {
      if (cached === pending) cached = undefined;
    });
    return pending;
  };
  return {
    async authorize() {
      return { authorization: (await credentials()).authorization };
    },
    invalidate() {
      cached = undefined;
      return true;
    },
    secrets: () => known,
  };
}
