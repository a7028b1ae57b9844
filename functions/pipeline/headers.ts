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
 * Lower-case header names a user may never override: Prometheus' reserved list (prometheus/prometheus
 * config/config.go, `reservedHeaders`), plus `authorization`, which belongs to the auth mode (Prometheus also
 * refuses it as a custom header), and `transfer-encoding`, which would corrupt the request framing.
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
  'www-authenticate',
  'accept-encoding',
  'x-prometheus-remote-write-version',
  'x-prometheus-remote-read-version',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
  'authorization',
  'transfer-encoding',
]);
