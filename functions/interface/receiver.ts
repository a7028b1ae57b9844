// The receiver settings both sides check: the auth modes, what an AMP URL looks like, and which combinations
// of URL and auth are refused, so a synth refuses exactly what a cold start would.

/** How requests to the receiver are authenticated (`REMOTE_WRITE_AUTH`). */
export type AuthMode = 'sigv4' | 'none' | 'bearer' | 'basic';

export const AUTH_MODES: readonly AuthMode[] = ['sigv4', 'none', 'bearer', 'basic'];

/** The modes whose credentials come from Secrets Manager (`REMOTE_WRITE_SECRET_ARN`). */
export const SECRET_AUTH_MODES: readonly AuthMode[] = ['bearer', 'basic'];

export function isAuthMode(value: string): value is AuthMode {
  return (AUTH_MODES as readonly string[]).includes(value);
}

// AMP's data-plane hosts: aps-workspaces.<region>.amazonaws.com(.cn) and the dual-stack aps-workspaces.<region>.api.aws.
const AMP_HOST = /^aps-workspaces\.([a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|api\.aws)$/;
const AMP_PATH = /^\/workspaces\/([^/]+)\//;

/** The SigV4 region of an AMP remote-write host, or undefined for any other host. */
export function ampRegion(host: string): string | undefined {
  return AMP_HOST.exec(host.toLowerCase())?.[1];
}

/** Region and workspace id of an AMP remote-write URL (https only), or undefined for any other receiver. */
export function parseAmpUrl(url: string | URL): { region: string; workspaceId: string } | undefined {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return undefined;
  }
  const region = parsed.protocol === 'https:' ? ampRegion(parsed.hostname) : undefined;
  const workspaceId = AMP_PATH.exec(parsed.pathname)?.[1];
  return region === undefined || workspaceId === undefined ? undefined : { region, workspaceId };
}

/** The default auth mode: SigV4 for an AMP host, none for everything else. */
export function defaultAuthFor(url: URL): AuthMode {
  return url.hostname.toLowerCase().startsWith('aps-workspaces.') ? 'sigv4' : 'none';
}

// Credentials sent to this machine never cross a network, so local receivers may use plain http.
function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '::1' || /^127(?:\.\d{1,3}){3}$/.test(host);
}

/** Which setting a refused receiver configuration is about. */
export interface ReceiverProblem {
  readonly setting: 'url' | 'auth';
  readonly reason: string;
  /** The sigv4AnyHost switch would allow it; the caller names that switch in its words. */
  readonly sigv4AnyHost?: true;
}

export interface ReceiverCheck {
  readonly url: URL;
  readonly auth: AuthMode;
  /** The operator allowed SigV4 to a host that is not AMP (`REMOTE_WRITE_SIGV4_ANY_HOST`). */
  readonly sigv4AnyHost: boolean;
}

/** What is wrong with a receiver configuration, or undefined when it may be used. */
export function receiverProblem({ url, auth, sigv4AnyHost }: ReceiverCheck): ReceiverProblem | undefined {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { setting: 'url', reason: `must be http or https, got ${url.protocol}` };
  }
  if (url.username !== '' || url.password !== '') {
    // They would be copied into the function's environment, the stack outputs and logs.
    return {
      setting: 'url',
      reason: 'must not contain credentials (user:password@); keep them in the secret of auth basic',
    };
  }
  if (auth !== 'none' && url.protocol === 'http:' && !isLoopback(url.hostname)) {
    return {
      setting: 'url',
      reason: `must be https with auth ${auth}: plain http would send the credentials in clear`,
    };
  }
  if (auth === 'sigv4' && !sigv4AnyHost && ampRegion(url.hostname) === undefined) {
    return {
      setting: 'url',
      reason:
        `auth sigv4 would send the function's AWS signature and session token to ${url.hostname}, which is ` +
        'not an AMP host (aps-workspaces.<region>.amazonaws.com)',
      sigv4AnyHost: true,
    };
  }
  return undefined;
}

// Prometheus label names; `__` names belong to Prometheus itself.
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** What is wrong with a label name set by configuration (extra or forced labels), or undefined. */
export function labelNameProblem(name: string): string | undefined {
  if (!LABEL_NAME.test(name)) return `${JSON.stringify(name)} is not a valid label name`;
  if (name.startsWith('__')) return `${JSON.stringify(name)} is reserved (names starting with __)`;
  return undefined;
}
