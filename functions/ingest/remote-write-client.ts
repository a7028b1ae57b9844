// One HTTP attempt against the remote-write receiver. The connection pool lives in the module, so a warm
// Lambda reuses its TLS connections across invocations; retries and their timing belong to delivery.ts.
import type * as Http from 'node:http';
import type * as Https from 'node:https';
import { createRequire } from 'node:module';
import type { Authenticator } from './auth/authenticator.js';

// Only the module the URL's scheme needs is loaded: `node:https` (TLS) costs a plain-http receiver's cold start
// about 5 ms of CPU for nothing.
const requireBuiltin = createRequire(import.meta.url);

/** Longest receiver answer kept for logs and dead-letter reasons; the rest is drained unread. */
export const MAX_RESPONSE_TEXT = 4096;

const AUTH_TIMED_OUT = Symbol('authorize timed out');

export type AttemptResult =
  | {
      readonly kind: 'response';
      readonly status: number;
      /** The receiver's answer, verbatim but cut to MAX_RESPONSE_TEXT characters. */
      readonly text: string;
      readonly retryAfter?: string;
    }
  | { readonly kind: 'network-error'; readonly message: string }
  | { readonly kind: 'timeout'; readonly timeoutMs: number };

export interface RemoteWriteClientOptions {
  readonly url: URL;
  readonly authenticator: Authenticator;
  /** The remote-write protocol headers (Content-Type, Content-Encoding, version, User-Agent). */
  readonly protocolHeaders: Readonly<Record<string, string>>;
  /** Operator headers; config.ts has already refused reserved names. */
  readonly customHeaders?: Readonly<Record<string, string>>;
  /** Upper bound of parallel connections. */
  readonly maxSockets: number;
}

export interface RemoteWriteClient {
  /** One POST of an already compressed body; never throws for network or HTTP failures. */
  send(body: Uint8Array, timeoutMs: number): Promise<AttemptResult>;
  /** Close idle pooled connections (tests and benches; Lambda simply freezes). */
  close(): void;
}

export function createRemoteWriteClient(options: RemoteWriteClientOptions): RemoteWriteClient {
  const secure = options.url.protocol === 'https:';
  const agentOptions = { keepAlive: true, keepAliveMsecs: 30_000, maxSockets: options.maxSockets };
  const transport = secure
    ? (requireBuiltin('node:https') as typeof Https)
    : (requireBuiltin('node:http') as typeof Http);
  const agent = new transport.Agent(agentOptions);
  const lowerCase = (headers: Readonly<Record<string, string>>): Record<string, string> =>
    Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
  // Custom first, so the protocol headers win even if a reserved name slipped past validation.
  const baseHeaders: Record<string, string> = {
    ...lowerCase(options.customHeaders ?? {}),
    ...lowerCase(options.protocolHeaders),
    host: options.url.host,
  };

  // Resolved once: given the URL object, Node converts it to request options on every request.
  const target: Http.RequestOptions = {
    method: 'POST',
    agent,
    protocol: options.url.protocol,
    hostname: options.url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: options.url.port === '' ? undefined : Number(options.url.port),
    path: `${options.url.pathname}${options.url.search}`,
  };

  async function send(body: Uint8Array, timeoutMs: number): Promise<AttemptResult> {
    const headers: Record<string, string> = { ...baseHeaders, 'content-length': String(body.byteLength) };
    // The attempt's time includes obtaining credentials (a credential provider or Secrets Manager call can
    // hang), so authorize() races the same timeout. Promise.race observes a late rejection of the loser.
    const started = Date.now();
    let authTimer: NodeJS.Timeout | undefined;
    const expired = new Promise<typeof AUTH_TIMED_OUT>((resolve) => {
      authTimer = setTimeout(() => resolve(AUTH_TIMED_OUT), timeoutMs);
    });
    let auth: Record<string, string> | typeof AUTH_TIMED_OUT;
    try {
      auth = await Promise.race([
        options.authenticator.authorize({ url: options.url, headers, body }),
        expired,
      ]);
    } finally {
      clearTimeout(authTimer);
    }
    if (auth === AUTH_TIMED_OUT) return { kind: 'timeout', timeoutMs };
    Object.assign(headers, lowerCase(auth));
    const requestTimeoutMs = Math.max(1, timeoutMs - (Date.now() - started));
    return new Promise<AttemptResult>((resolve) => {
      let settled = false;
      const finish = (result: AttemptResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const request = transport.request({ ...target, headers }, (response) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        response.on('data', (chunk: Buffer) => {
          if (kept < MAX_RESPONSE_TEXT) {
            chunks.push(chunk);
            kept += chunk.length;
          }
        });
        response.on('end', () => {
          const retryAfter = response.headers['retry-after'];
          finish({
            kind: 'response',
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8').slice(0, MAX_RESPONSE_TEXT),
            ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
          });
        });
        response.on('error', (error) => finish({ kind: 'network-error', message: error.message }));
      });
      const timer = setTimeout(() => {
        finish({ kind: 'timeout', timeoutMs });
        request.destroy(new Error(`no answer within ${timeoutMs} ms`));
      }, requestTimeoutMs);
      request.on('error', (error: NodeJS.ErrnoException) =>
        finish({
          kind: 'network-error',
          message: error.code ? `${error.code}: ${error.message}` : error.message,
        }),
      );
      request.end(body);
    });
  }

  return { send, close: () => agent.destroy() };
}
