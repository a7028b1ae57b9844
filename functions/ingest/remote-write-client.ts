// One HTTP attempt against the remote-write receiver. The client and its connection pool are created once per
// execution environment, so a warm Lambda reuses its TLS connections; retries and their timing belong to delivery.
// Receiver text enters the bridge here, so here it is cleaned of the credentials the attempt carried.
import type * as Http from 'node:http';
import type * as Https from 'node:https';
import { createRequire } from 'node:module';
import { AuthError, type Authenticator } from './auth/authenticator.js';
import { credentialsInHeaders, redact } from './redaction.js';

// Only the module the URL's scheme needs is loaded: loading `node:https` (TLS) would lengthen a plain-http
// receiver's cold start for nothing.
const requireBuiltin = createRequire(import.meta.url);

/** Longest receiver answer kept for logs and dead-letter reasons; the rest is drained unread. */
export const MAX_RESPONSE_TEXT = 4096;
// Read beyond MAX_RESPONSE_TEXT, so that a credential across that boundary is seen whole and removed.
const REDACTION_MARGIN = 1024;
// Custom headers whose values are credentials too (an API key, a tenant token).
const SECRET_HEADER = /auth|token|key|secret|password|cookie/i;

const AUTH_TIMED_OUT = Symbol('authorize timed out');

export type AttemptResult =
  | {
      readonly kind: 'response';
      readonly status: number;
      /** The receiver's answer without credentials (redaction.ts), cut to MAX_RESPONSE_TEXT characters. */
      readonly text: string;
      readonly retryAfter?: string;
    }
  /** The error's message, without credentials. */
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

const lowerCase = (headers: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));

class HttpRemoteWriteClient implements RemoteWriteClient {
  private readonly transport: typeof Http | typeof Https;
  private readonly agent: Http.Agent;
  private readonly baseHeaders: Readonly<Record<string, string>>;
  private readonly target: Http.RequestOptions;
  private readonly customSecrets: readonly string[];

  constructor(private readonly options: RemoteWriteClientOptions) {
    const url = options.url;
    this.transport =
      url.protocol === 'https:'
        ? (requireBuiltin('node:https') as typeof Https)
        : (requireBuiltin('node:http') as typeof Http);
    this.agent = new this.transport.Agent({
      keepAlive: true,
      keepAliveMsecs: 30_000,
      maxSockets: options.maxSockets,
    });
    // Custom first, so the protocol headers win even if a reserved name slipped past validation.
    this.baseHeaders = {
      ...lowerCase(options.customHeaders ?? {}),
      ...lowerCase(options.protocolHeaders),
      host: url.host,
    };
    // Resolved once: given the URL object, Node converts it to request options on every request.
    this.target = {
      method: 'POST',
      agent: this.agent,
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
    };
    this.customSecrets = Object.entries(options.customHeaders ?? {})
      .filter(([name]) => SECRET_HEADER.test(name))
      .map(([, value]) => value);
  }

  async send(body: Uint8Array, timeoutMs: number): Promise<AttemptResult> {
    const headers: Record<string, string> = {
      ...this.baseHeaders,
      'content-length': String(body.byteLength),
    };
    const started = Date.now();
    const auth = await this.authorize(headers, body, timeoutMs);
    if (auth === AUTH_TIMED_OUT) return { kind: 'timeout', timeoutMs };
    Object.assign(headers, lowerCase(auth));
    const requestTimeoutMs = Math.max(1, timeoutMs - (Date.now() - started));
    return this.request(headers, body, { timeoutMs, requestTimeoutMs, secrets: this.secretsOf(auth) });
  }

  close(): void {
    this.agent.destroy();
  }

  /** The credentials an attempt carries: the authenticator's, those in its auth headers, secret custom headers. */
  private secretsOf(auth: Readonly<Record<string, string>>): string[] {
    return [
      ...(this.options.authenticator.secrets?.() ?? []),
      ...credentialsInHeaders(auth),
      ...this.customSecrets,
    ];
  }

  /**
   * The attempt's auth headers. The attempt's time includes obtaining credentials (a credential provider or
   * Secrets Manager call can hang), so authorize() races the same timeout.
   */
  private async authorize(
    headers: Readonly<Record<string, string>>,
    body: Uint8Array,
    timeoutMs: number,
  ): Promise<Record<string, string> | typeof AUTH_TIMED_OUT> {
    let authTimer: NodeJS.Timeout | undefined;
    const expired = new Promise<typeof AUTH_TIMED_OUT>((resolve) => {
      authTimer = setTimeout(() => resolve(AUTH_TIMED_OUT), timeoutMs);
    });
    try {
      // Promise.race observes a late rejection of the loser.
      return await Promise.race([
        this.options.authenticator.authorize({ url: this.options.url, headers, body }),
        expired,
      ]);
    } catch (error) {
      // A credential problem is logged and may end up in the dead-letter reasons: its message is cleaned too.
      if (error instanceof AuthError) throw new AuthError(redact(error.message, this.secretsOf({})));
      throw error;
    } finally {
      clearTimeout(authTimer);
    }
  }

  private request(
    headers: Record<string, string>,
    body: Uint8Array,
    limits: { timeoutMs: number; requestTimeoutMs: number; secrets: readonly string[] },
  ): Promise<AttemptResult> {
    const { timeoutMs, secrets } = limits;
    return new Promise<AttemptResult>((resolve) => {
      let settled = false;
      const finish = (result: AttemptResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const request = this.transport.request({ ...this.target, headers }, (response) => {
        readAnswer(response, secrets, finish);
      });
      const timer = setTimeout(() => {
        finish({ kind: 'timeout', timeoutMs });
        request.destroy(new Error(`no answer within ${timeoutMs} ms`));
      }, limits.requestTimeoutMs);
      request.on('error', (error: NodeJS.ErrnoException) =>
        finish({
          kind: 'network-error',
          message: redact(error.code ? `${error.code}: ${error.message}` : error.message, secrets),
        }),
      );
      request.end(body);
    });
  }
}

/** Reads the receiver's answer, keeping the start of its text (the rest is drained unread). */
function readAnswer(
  response: Http.IncomingMessage,
  secrets: readonly string[],
  finish: (result: AttemptResult) => void,
): void {
  const chunks: Buffer[] = [];
  let kept = 0;
  let cut = false;
  response.on('data', (chunk: Buffer) => {
    if (kept < MAX_RESPONSE_TEXT + REDACTION_MARGIN) {
      chunks.push(chunk);
      kept += chunk.length;
    } else cut = true;
  });
  response.on('end', () => {
    const retryAfter = response.headers['retry-after'];
    finish({
      kind: 'response',
      status: response.statusCode ?? 0,
      text: responseText(Buffer.concat(chunks).toString('utf8'), cut, secrets),
      ...(typeof retryAfter === 'string' ? { retryAfter } : {}),
    });
  });
  response.on('error', (error) => finish({ kind: 'network-error', message: redact(error.message, secrets) }));
}

/** A receiver's answer as the bridge keeps it: without credentials, at most MAX_RESPONSE_TEXT characters. */
function responseText(raw: string, cut: boolean, secrets: readonly string[]): string {
  const limit = MAX_RESPONSE_TEXT + REDACTION_MARGIN;
  const kept = raw.length > limit ? raw.slice(0, limit) : raw;
  return redact(kept, secrets, cut || kept.length < raw.length).slice(0, MAX_RESPONSE_TEXT);
}

export function createRemoteWriteClient(options: RemoteWriteClientOptions): RemoteWriteClient {
  return new HttpRemoteWriteClient(options);
}
