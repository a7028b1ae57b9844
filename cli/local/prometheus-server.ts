// Starts a real Prometheus on this machine as a remote-write receiver: for `iotprom local` and for the tests
// that read values back. It listens on loopback only, keeps its TSDB in a private temporary folder (unless the
// caller names one), and enables the remote-write receiver. Prometheus 2.42 (Debian bookworm) is the oldest
// version this is used with; its receiver re-sorts labels and ignores headers, so it is no substitute for the
// strict test receiver.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrometheusOptions {
  /** Prometheus binary: a path, or a name looked up on PATH. @default 'prometheus' */
  readonly binary?: string;
  /** `storage.tsdb.out_of_order_time_window` (a Prometheus duration such as `30m`); unset: no out-of-order window. */
  readonly outOfOrderTimeWindow?: string;
  /** Loopback port to listen on. @default a free port */
  readonly port?: number;
  /** TSDB folder. It is kept on stop. @default a private temporary folder, removed on stop */
  readonly dataDir?: string;
  /** How long to wait for `/-/ready`. @default 60000 */
  readonly readyTimeoutMs?: number;
  /** Prometheus' log level (its log goes to stderr, kept for error messages). @default 'warn' */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

export interface PromSample {
  readonly timestampMs: number;
  /** Prometheus' text parsed exactly (`NaN`, `+Inf`, `-Inf` included). */
  readonly value: number;
}

export interface PromSeries {
  readonly metric: Readonly<Record<string, string>>;
  /** One sample for an instant vector or scalar, several for a range vector or a range query. */
  readonly samples: readonly PromSample[];
}

export interface PrometheusServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `http://127.0.0.1:<port>/api/v1/write` */
  readonly remoteWriteUrl: string;
  readonly port: number;
  readonly dataDir: string;
  /** `/api/v1/query_range`; times in ms. */
  queryRange(promql: string, startMs: number, endMs: number, stepMs: number): Promise<PromSeries[]>;
  /** `/api/v1/query` at `timeMs` (default: now). A range-vector selector returns the raw samples. */
  query(promql: string, timeMs?: number): Promise<PromSeries[]>;
  /** Every stored sample of the series matching `selector` with `startMs <= timestamp <= endMs`, exactly as
   * written (stale markers excepted: Prometheus' query engine never returns them). */
  rawSamples(selector: string, startMs: number, endMs: number): Promise<PromSeries[]>;
  /** `/api/v1/series`: label sets of the series matching any of the selectors. */
  series(
    match: string | readonly string[],
    startMs?: number,
    endMs?: number,
  ): Promise<Array<Record<string, string>>>;
  /** The tail of Prometheus' stderr (its log). */
  log(): string;
  /** Stops Prometheus (SIGTERM, then SIGKILL after 10 s) and removes the temporary folders. Idempotent. */
  stop(): Promise<void>;
}

const MAX_LOG_CHARS = 64 * 1024;

/** A free TCP port on 127.0.0.1 (the OS picks it; Prometheus then binds it, so a rare race is retried). */
async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function configYaml(outOfOrderTimeWindow: string | undefined): string {
  const lines = [
    '# Written by iot-prometheus-bridge: a remote-write receiver only, it scrapes nothing.',
    'global:',
    '  scrape_interval: 1m',
  ];
  if (outOfOrderTimeWindow !== undefined) {
    if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(outOfOrderTimeWindow))
      throw new Error(
        `outOfOrderTimeWindow ${JSON.stringify(outOfOrderTimeWindow)} is not a Prometheus duration such as 30m`,
      );
    lines.push('storage:', '  tsdb:', `    out_of_order_time_window: ${outOfOrderTimeWindow}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Prometheus' text for a float (`NaN`, `+Inf`, `-Inf`, or a round-tripping decimal), as a number. */
function parseValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  return Number(text);
}

type WirePoint = [number, string];
interface WireResponse {
  status: 'success' | 'error';
  errorType?: string;
  error?: string;
  data?: unknown;
}

function toSamples(points: readonly WirePoint[]): PromSample[] {
  // Prometheus reports seconds with millisecond precision as a float; rounding recovers the exact ms.
  return points.map(([seconds, text]) => ({
    timestampMs: Math.round(seconds * 1000),
    value: parseValue(text),
  }));
}

function toSeries(data: unknown): PromSeries[] {
  const { resultType, result } = data as { resultType: string; result: unknown };
  switch (resultType) {
    case 'matrix':
      return (result as Array<{ metric: Record<string, string>; values: WirePoint[] }>).map((s) => ({
        metric: s.metric,
        samples: toSamples(s.values),
      }));
    case 'vector':
      return (result as Array<{ metric: Record<string, string>; value: WirePoint }>).map((s) => ({
        metric: s.metric,
        samples: toSamples([s.value]),
      }));
    case 'scalar':
      return [{ metric: {}, samples: toSamples([result as WirePoint]) }];
    default:
      throw new Error(`unexpected Prometheus result type ${resultType}`);
  }
}

function lookupFailure(binary: string, error: NodeJS.ErrnoException): Error {
  if (error.code === 'ENOENT')
    return new Error(
      `Prometheus binary ${JSON.stringify(binary)} not found; install it: apt-get install -y prometheus (or pass its path)`,
    );
  return new Error(`cannot start Prometheus (${binary}): ${error.message}`);
}

interface Started {
  child: ChildProcess;
  exited: Promise<number | null>;
}

async function spawnAndWaitReady(
  binary: string,
  args: string[],
  url: string,
  readyTimeoutMs: number,
  appendLog: (text: string) => void,
  log: () => string,
): Promise<Started> {
  // Its own process group: the terminal's Ctrl-C goes to the foreground group, and Prometheus must keep
  // answering until the bridge has drained and counted; stop() ends it.
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', appendLog);
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) => reject(lookupFailure(binary, error)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await spawned;
  const deadline = Date.now() + readyTimeoutMs;
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  for (;;) {
    if (exitCode !== undefined)
      throw new Error(`Prometheus exited with code ${String(exitCode)} before it was ready:\n${log()}`);
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) return { child, exited };
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`Prometheus was not ready within ${readyTimeoutMs} ms:\n${log()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

type QueryClient = Pick<PrometheusServer, 'queryRange' | 'query' | 'rawSamples' | 'series'>;

/** Prometheus' HTTP query API at `url`. */
function queryClient(url: string): QueryClient {
  async function api(path: string, params: URLSearchParams): Promise<unknown> {
    const res = await fetch(`${url}${path}?${params.toString()}`, { signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    let parsed: WireResponse;
    try {
      parsed = JSON.parse(text) as WireResponse;
    } catch {
      throw new Error(`Prometheus ${path}: HTTP ${res.status}: ${text.slice(0, 500)}`);
    }
    if (parsed.status !== 'success')
      throw new Error(
        `Prometheus ${path}: HTTP ${res.status}: ${parsed.errorType ?? ''}: ${parsed.error ?? text}`,
      );
    return parsed.data;
  }

  const seconds = (ms: number): string => (ms / 1000).toFixed(3);

  return {
    async queryRange(promql, startMs, endMs, stepMs) {
      const params = new URLSearchParams({
        query: promql,
        start: seconds(startMs),
        end: seconds(endMs),
        step: seconds(stepMs),
      });
      return toSeries(await api('/api/v1/query_range', params));
    },
    async query(promql, timeMs) {
      const params = new URLSearchParams({ query: promql });
      if (timeMs !== undefined) params.set('time', seconds(timeMs));
      return toSeries(await api('/api/v1/query', params));
    },
    async rawSamples(selector, startMs, endMs) {
      // One ms wider than asked, then filtered here: range selectors' end inclusiveness differs across versions.
      const rangeMs = Math.max(1, endMs - startMs + 1);
      const params = new URLSearchParams({ query: `${selector}[${rangeMs}ms]`, time: seconds(endMs) });
      return toSeries(await api('/api/v1/query', params)).map((s) => ({
        metric: s.metric,
        samples: s.samples.filter((p) => p.timestampMs >= startMs && p.timestampMs <= endMs),
      }));
    },
    async series(match, startMs, endMs) {
      const params = new URLSearchParams();
      for (const selector of typeof match === 'string' ? [match] : match) params.append('match[]', selector);
      if (startMs !== undefined) params.set('start', seconds(startMs));
      if (endMs !== undefined) params.set('end', seconds(endMs));
      return (await api('/api/v1/series', params)) as Array<Record<string, string>>;
    },
  };
}

interface LogBuffer {
  append(text: string): void;
  clear(): void;
  read(): string;
}

/** Starts Prometheus on the caller's port, or on a free one (retrying the rare race for it). */
async function launch(
  options: PrometheusOptions,
  binary: string,
  configFile: string,
  dataDir: string,
  readyTimeoutMs: number,
  log: LogBuffer,
): Promise<{ started: Started; port: number }> {
  // Only a port we picked ourselves can be lost to a race; a caller's port fails at once.
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freeLoopbackPort());
    const args = [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      `--log.level=${options.logLevel ?? 'warn'}`,
    ];
    try {
      const url = `http://127.0.0.1:${port}`;
      const started = await spawnAndWaitReady(binary, args, url, readyTimeoutMs, log.append, log.read);
      return { started, port };
    } catch (error) {
      const raced = options.port === undefined && /address already in use/.test(log.read()) && attempt < 5;
      if (!raced) throw error;
      log.clear();
    }
  }
}

export async function startPrometheus(options: PrometheusOptions = {}): Promise<PrometheusServer> {
  const binary = options.binary ?? 'prometheus';
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const yaml = configYaml(options.outOfOrderTimeWindow);
  const workDir = mkdtempSync(join(tmpdir(), 'iotprom-prometheus-'));
  const dataDir = options.dataDir ?? join(workDir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const configFile = join(workDir, 'prometheus.yml');
  writeFileSync(configFile, yaml);

  let logText = '';
  const appendLog = (text: string): void => {
    logText = (logText + text).slice(-MAX_LOG_CHARS);
  };
  const log = (): string => logText;

  const { started, port } = await launch(options, binary, configFile, dataDir, readyTimeoutMs, {
    append: appendLog,
    clear: () => {
      logText = '';
    },
    read: log,
  }).catch((error: unknown) => {
    rmSync(workDir, { recursive: true, force: true });
    throw error;
  });

  const { child, exited } = started;
  const url = `http://127.0.0.1:${port}`;
  // A test that crashes must not leave Prometheus running.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopping: Promise<void> | undefined;
  return {
    url,
    remoteWriteUrl: `${url}/api/v1/write`,
    port,
    dataDir,
    ...queryClient(url),
    log,
    stop() {
      stopping ??= (async () => {
        process.removeListener('exit', killOnExit);
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          await exited;
          clearTimeout(timer);
        }
        rmSync(workDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
