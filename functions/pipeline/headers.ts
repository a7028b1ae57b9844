// The HTTP headers of a Remote-Write 1.0 request (spec §Protocol) and the names an operator may never set.
// The version comes from package.json; a JSON import works both under tsx and in the esbuild bundle (inlined).
import pkg from '../../package.json' with { type: 'json' };

/** The bridge's User-Agent: `iot-prometheus-bridge/<version>`. */
export const USER_AGENT = `iot-prometheus-bridge/${pkg.version}`;

/** Exact protocol headers of every remote-write request, with lower-case names (HTTP names are case-insensitive;
 * lower case lets callers merge header records without duplicates). */
export const REMOTE_WRITE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-encoding': 'snappy',
  'content-type': 'application/x-protobuf',
  'x-prometheus-remote-write-version': '0.1.0',
  'user-agent': USER_AGENT,
});

/**
 * Lower-case header names a user may never set: Prometheus' reserved list (prometheus/prometheus config/config.go,
 * `reservedHeaders`), `authorization`, which belongs to the auth mode, and the hop-by-hop and framing headers
 * (RFC 9110 section 7.6.1), which describe one connection rather than the request and would corrupt it.
 */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-encoding',
  'content-length',
  'content-type',
  'user-agent',
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'www-authenticate',
  'accept-encoding',
  'x-prometheus-remote-write-version',
  'x-prometheus-remote-read-version',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
  'authorization',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
]);

/** Name prefixes a user may never set: SigV4 owns every `x-amz-` header, proxies every `proxy-` one. */
export const RESERVED_HEADER_PREFIXES: readonly string[] = ['x-amz-', 'proxy-'];

// RFC 9110 token characters.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Visible ASCII and spaces: Node refuses control characters at request time, which would fail every batch,
// and anything beyond ASCII reaches receivers in encodings they disagree on.
const HEADER_VALUE = /^[\x20-\x7e]*$/;

/** What is wrong with an operator's custom header (REMOTE_WRITE_HEADERS), or undefined when it may be sent. */
export function customHeaderProblem(name: string, value: string): string | undefined {
  if (!HEADER_NAME.test(name)) return `${JSON.stringify(name)} is not a valid header name`;
  const lower = name.toLowerCase();
  if (RESERVED_HEADERS.has(lower)) return `${name} is reserved and cannot be overridden`;
  const prefix = RESERVED_HEADER_PREFIXES.find((p) => lower.startsWith(p));
  if (prefix !== undefined) return `${name} is reserved: no ${prefix}* header can be set`;
  if (!HEADER_VALUE.test(value)) {
    return `the value of ${name} must be visible ASCII characters and spaces only`;
  }
  return undefined;
}
