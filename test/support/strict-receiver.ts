// A remote-write receiver in this process that validates like Cortex / Amazon Managed Service for Prometheus.
// Prometheus 2.42 re-sorts labels and ignores headers, so only a receiver like this one catches those sender
// mistakes. It decodes with a protobufjs decoder loaded from proto/ at run time and snappyjs, so it shares no
// code with the bridge's encoder (protobuf written by hand) or compressor (native snappy).
import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
// snappyjs ships no type declarations; this is the part of its API used here.
const snappyjs = require('snappyjs') as { uncompress(data: Uint8Array): Uint8Array };

export interface ReceivedLabel {
  name: string;
  value: string;
}

export interface ReceivedSeries {
  labels: ReceivedLabel[];
  samples: Array<{ value: number; timestampMs: number; stale: boolean }>;
}

export interface ReceivedRequest {
  /** Date.now() when the request's body had arrived. */
  at: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Decoded series ([] when the body could not be decoded). */
  series: ReceivedSeries[];
  /** Status answered; 0 when the connection was dropped without an answer. */
  status: number;
  /** Response body. */
  body: string;
  /** Fault applied to this request, if any. */
  fault?: Fault;
}

export type Fault =
  /** Answer with this status without writing anything; with `afterWrite`, write first (a proxy's 504 after the
   * backend stored the request). */
  | { kind: 'status'; status: number; body?: string; retryAfter?: string; afterWrite?: boolean }
  /** Process (and write) normally, but answer `ms` late: for client timeouts. */
  | { kind: 'delay'; ms: number }
  /** Destroy the socket without an answer (connection reset). With `afterWrite` the samples are written first,
   * like a receiver that stored the data but whose answer was lost. */
  | { kind: 'drop'; afterWrite?: boolean };

export interface StrictReceiverOptions {
  /** Reject samples (partial write, then 400 quoting the first reason), like AMP does for e.g. out-of-order or
   * too-old samples. Return the reason, or undefined to accept. */
  rejectSample?: (
    labels: ReceivedSeries['labels'],
    sample: ReceivedSeries['samples'][number],
  ) => string | undefined;
  /** Reject samples older than the newest written sample of their series (out of order), as Prometheus with no
   * OOO window does. @default true */
  rejectOutOfOrder?: boolean;
  /**
   * Which stored samples an identical resend may repeat and still be accepted. `any-stored`: any of them (a
   * resend of a whole request after a lost answer succeeds). `newest-only`: only the newest of its series, as
   * Prometheus' TSDB (and so Cortex/AMP) checks it; an older exact duplicate is then "out of order".
   * @default 'any-stored'
   */
  exactDuplicates?: 'any-stored' | 'newest-only';
  /** Labels allowed per series (AMP's quota). @default 70 */
  maxLabelsPerSeries?: number;
  /**
   * What a request with a refused sample stores. `partial`: its valid part, like Cortex, Mimir and AMP. `whole`:
   * nothing at all, like Prometheus 2.42, which rolls the request back. Either way the answer quotes the first
   * reason. @default 'partial'
   */
  writeMode?: 'partial' | 'whole';
  /** Status answered when `rejectSample` refused a sample (Prometheus 2.42 answers "too old sample" with 500).
   * @default 400 */
  rejectStatus?: number;
}

/** A sample that was refused by a write (not a protocol violation: a receiver policy such as out-of-order). */
export interface RejectedSample {
  key: string;
  timestampMs: number;
  value: number;
  stale: boolean;
  reason: string;
}

/** Bits of the Prometheus staleness marker (a signalling NaN). */
export const STALE_NAN_BITS = 0x7ff0000000000002n;
const FRAMED_SNAPPY_MAGIC = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]);
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const REQUIRED_HEADERS: ReadonlyArray<[string, string]> = [
  ['content-encoding', 'snappy'],
  ['content-type', 'application/x-protobuf'],
  ['x-prometheus-remote-write-version', '0.1.0'],
];

/** Canonical key of a label set: `name="value"` pairs in byte order of the name, joined by ','. */
export function seriesKey(labels: ReadonlyArray<{ name: string; value: string }>): string {
  return [...labels]
    .sort((a, b) => compareBytes(a.name, b.name))
    .map((l) => `${l.name}=${JSON.stringify(l.value)}`)
    .join(',');
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

interface StoredSample {
  timestampMs: number;
  value: number;
  bits: bigint;
  stale: boolean;
}

/** A decoded sample with the raw bits of its value. */
export interface DecodedSample {
  value: number;
  timestampMs: number;
  bits: bigint;
  stale: boolean;
}

export interface DecodedSeries {
  labels: ReceivedLabel[];
  samples: DecodedSample[];
}

class BadRequest extends Error {}

const protoDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'proto');
let writeRequestType: protobuf.Type | undefined;

function loadWriteRequestType(): protobuf.Type {
  writeRequestType ??= protobuf
    .loadSync(join(protoDir, 'remote.proto'))
    .lookupType('prometheus.WriteRequest');
  return writeRequestType;
}

/**
 * Reads the 8 raw bytes of every Sample.value, in wire order, and reports fields this bridge never sends.
 * protobufjs turns a double into a JS number, which may lose a NaN's payload; the staleness marker lives in it.
 * Field numbers come from the loaded proto types, so this walk stays tied to proto/.
 */
function rawSampleBits(body: Uint8Array, writeRequest: protobuf.Type, unknown: string[]): bigint[][] {
  const timeSeries = writeRequest.fields['timeseries']!.resolve().resolvedType as protobuf.Type;
  const sample = timeSeries.fields['samples']!.resolve().resolvedType as protobuf.Type;
  const known = (type: protobuf.Type, id: number): boolean =>
    Object.values(type.fields).some((field) => field.id === id);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const out: bigint[][] = [];
  const reader = protobuf.Reader.create(body);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 !== writeRequest.fields['timeseries']!.id || (tag & 7) !== 2) {
      if (!known(writeRequest, tag >>> 3)) unknown.push(`WriteRequest field ${tag >>> 3}`);
      reader.skipType(tag & 7);
      continue;
    }
    const seriesEnd = reader.uint32() + reader.pos;
    const bits: bigint[] = [];
    while (reader.pos < seriesEnd) {
      const seriesTag = reader.uint32();
      if (seriesTag >>> 3 !== timeSeries.fields['samples']!.id || (seriesTag & 7) !== 2) {
        if (!known(timeSeries, seriesTag >>> 3)) unknown.push(`TimeSeries field ${seriesTag >>> 3}`);
        reader.skipType(seriesTag & 7);
        continue;
      }
      const sampleEnd = reader.uint32() + reader.pos;
      // proto3: an absent value is 0.0; a repeated field's last occurrence wins.
      let valueBits = 0n;
      while (reader.pos < sampleEnd) {
        const sampleTag = reader.uint32();
        if (sampleTag >>> 3 === sample.fields['value']!.id && (sampleTag & 7) === 1) {
          valueBits = view.getBigUint64(reader.pos, true);
          reader.skip(8);
        } else {
          if (!known(sample, sampleTag >>> 3)) unknown.push(`Sample field ${sampleTag >>> 3}`);
          reader.skipType(sampleTag & 7);
        }
      }
      bits.push(valueBits);
    }
    out.push(bits);
  }
  return out;
}

function decodeBody(body: Uint8Array, unknownFields: string[]): DecodedSeries[] {
  const type = loadWriteRequestType();
  let object: {
    timeseries?: Array<{ labels?: ReceivedLabel[]; samples?: Array<{ value: number; timestamp: number }> }>;
  };
  let bits: bigint[][];
  try {
    object = type.toObject(type.decode(body), { longs: Number, defaults: true }) as typeof object;
    bits = rawSampleBits(body, type, unknownFields);
  } catch (error) {
    throw new BadRequest(`failed to unmarshal prometheus.WriteRequest: ${(error as Error).message}`);
  }
  return (object.timeseries ?? []).map((series, i) => ({
    labels: (series.labels ?? []).map((l) => ({ name: l.name, value: l.value })),
    samples: (series.samples ?? []).map((s, j) => {
      const valueBits = bits[i]![j]!;
      return {
        value: s.value,
        timestampMs: s.timestamp,
        bits: valueBits,
        stale: valueBits === STALE_NAN_BITS,
      };
    }),
  }));
}

/**
 * Decodes an uncompressed Remote-Write 1.0 protobuf body the way this receiver does (protobufjs from proto/, plus
 * the raw bits of every sample value), for tests that check a body without sending it. Throws on a body that
 * is not a valid prometheus.WriteRequest.
 */
export function decodeWriteRequest(body: Uint8Array): {
  series: DecodedSeries[];
  unknownFields: string[];
} {
  const unknownFields: string[] = [];
  const series = decodeBody(body, unknownFields);
  return { series, unknownFields };
}

/** The first reason this series' label set is invalid, in Cortex' words, or undefined. */
function labelProblem(labels: readonly ReceivedLabel[], maxLabels: number): string | undefined {
  const shown = seriesKeyUnsorted(labels);
  const name = labels.find((l) => l.name === '__name__');
  if (name === undefined) return `sample missing metric name: series {${shown}}`;
  if (!METRIC_NAME.test(name.value)) return `sample invalid metric name: ${JSON.stringify(name.value)}`;
  if (labels.length > maxLabels)
    return `series has too many labels (actual: ${labels.length}, limit: ${maxLabels}) series: '{${shown}}'`;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label.name === '')
      return `sample invalid label: empty label name, metric ${JSON.stringify(name.value)}`;
    if (!LABEL_NAME.test(label.name))
      return `sample invalid label: ${JSON.stringify(label.name)} metric ${JSON.stringify(name.value)}`;
    if (label.value === '')
      return `sample invalid label value: empty value for label ${JSON.stringify(label.name)} metric ${JSON.stringify(name.value)}`;
    if (i > 0) {
      const order = compareBytes(labels[i - 1]!.name, label.name);
      if (order === 0)
        return `duplicate label name: ${JSON.stringify(label.name)} metric ${JSON.stringify(name.value)}`;
      if (order > 0)
        return `labels not sorted: ${JSON.stringify(label.name)} metric ${JSON.stringify(name.value)}`;
    }
  }
  return undefined;
}

function seriesKeyUnsorted(labels: readonly ReceivedLabel[]): string {
  return labels.map((l) => `${l.name}=${JSON.stringify(l.value)}`).join(', ');
}

export class StrictReceiver {
  /** `http://127.0.0.1:<port>/api/v1/write` */
  readonly url: string;
  /** Every request received, in order, with the status answered. */
  readonly requests: ReceivedRequest[] = [];
  /** Protocol violations seen (a correct sender leaves this empty). */
  readonly violations: string[] = [];
  /** Samples refused by receiver policy (out of order, conflicting duplicate, rejectSample). */
  readonly rejected: RejectedSample[] = [];

  private readonly faults: Fault[] = [];
  private readonly store = new Map<string, StoredSample[]>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    private readonly options: StrictReceiverOptions,
  ) {
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/api/v1/write`;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(options: StrictReceiverOptions = {}): Promise<StrictReceiver> {
    loadWriteRequestType();
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const receiver = new StrictReceiver(server, options);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      receiver.handle(req, res).catch((error: unknown) => {
        receiver.violations.push(`receiver failure: ${String(error)}`);
        if (!res.headersSent) res.writeHead(500).end(String(error));
      });
    });
    return receiver;
  }

  /** Applied to the next requests, one per request, in order. */
  enqueueFaults(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  /** Faults enqueued but not yet applied. */
  get pendingFaults(): number {
    return this.faults.length;
  }

  /** Everything written, by canonical series key (see seriesKey()), samples ascending. Stale markers have
   * value NaN and `stale: true`. */
  written(): Map<string, Array<{ timestampMs: number; value: number; stale: boolean }>> {
    const out = new Map<string, Array<{ timestampMs: number; value: number; stale: boolean }>>();
    for (const [key, samples] of this.store)
      out.set(
        key,
        samples.map(({ timestampMs, value, stale }) => ({ timestampMs, value, stale })),
      );
    return out;
  }

  writtenSampleCount(): number {
    let count = 0;
    for (const samples of this.store.values()) count += samples.length;
    return count;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const record: ReceivedRequest = {
      at: Date.now(),
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      series: [],
      status: 0,
      body: '',
    };
    this.requests.push(record);
    const fault = this.faults.shift();
    if (fault !== undefined) record.fault = fault;

    let status = 400;
    let answer = '';
    let series: DecodedSeries[] | undefined;
    try {
      series = this.validateRequest(req, body);
      record.series = series.map((s) => ({
        labels: s.labels,
        samples: s.samples.map(({ value, timestampMs, stale }) => ({ value, timestampMs, stale })),
      }));
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error;
      this.violations.push(error.message);
      series = undefined;
      status = 400;
      answer = error.message;
    }

    if (fault?.kind === 'status') {
      if (fault.afterWrite === true && series !== undefined) this.writeRequest(series);
      this.answer(res, record, fault.status, fault.body ?? '', fault.retryAfter);
      return;
    }
    if (fault?.kind === 'drop' && fault.afterWrite !== true) {
      req.socket.destroy();
      return;
    }
    if (series !== undefined) {
      const problem = this.writeRequest(series);
      status = problem?.status ?? 204;
      answer = problem?.reason ?? '';
    }
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'delay') {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.answer(res, record, status, answer);
      }, fault.ms);
      this.timers.add(timer);
      return;
    }
    this.answer(res, record, status, answer);
  }

  private answer(
    res: ServerResponse,
    record: ReceivedRequest,
    status: number,
    body: string,
    retryAfter?: string,
  ) {
    record.status = status;
    record.body = body;
    if (res.destroyed) return;
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
    if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
    res.writeHead(status, headers).end(body);
  }

  /** Checks everything that makes a request malformed as a whole; returns its series. */
  private validateRequest(req: IncomingMessage, body: Buffer): DecodedSeries[] {
    if (req.method !== 'POST')
      throw new BadRequest(`method ${req.method ?? ''} not allowed: remote write is POST`);
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/api/v1/write')
      throw new BadRequest(`unexpected path ${path ?? ''}: expected /api/v1/write`);
    for (const [name, expected] of REQUIRED_HEADERS) {
      const values = req.headersDistinct[name];
      if (values === undefined || values.length !== 1 || values[0] !== expected)
        throw new BadRequest(
          `header ${name}: expected exactly ${JSON.stringify(expected)}, got ${JSON.stringify(values ?? null)}`,
        );
    }
    const agents = req.headersDistinct['user-agent'];
    if (agents === undefined || agents.length !== 1 || agents[0]!.trim() === '')
      throw new BadRequest(
        `header user-agent: expected one non-empty value, got ${JSON.stringify(agents ?? null)}`,
      );
    if (
      body.length >= FRAMED_SNAPPY_MAGIC.length &&
      body.subarray(0, FRAMED_SNAPPY_MAGIC.length).equals(FRAMED_SNAPPY_MAGIC)
    )
      throw new BadRequest(
        'snappy: body uses the framed (stream) format; remote write requires the block format',
      );
    let decompressed: Uint8Array;
    try {
      decompressed = snappyjs.uncompress(body);
    } catch (error) {
      throw new BadRequest(`snappy: corrupt input: ${(error as Error).message}`);
    }
    const unknownFields: string[] = [];
    const series = decodeBody(decompressed, unknownFields);
    for (const field of new Set(unknownFields)) this.violations.push(`unexpected protobuf field: ${field}`);
    return series;
  }

  /** Writes a request in the configured mode; returns the first refusal and the status to answer it with. */
  private writeRequest(series: readonly DecodedSeries[]): { reason: string; status: number } | undefined {
    const whole = this.options.writeMode === 'whole';
    const before = whole ? new Map([...this.store].map(([key, samples]) => [key, [...samples]])) : undefined;
    this.policyRefused = false;
    const reason = this.write(series);
    if (reason === undefined) return undefined;
    if (before !== undefined) {
      this.store.clear();
      for (const [key, samples] of before) this.store.set(key, samples);
    }
    return { reason, status: this.policyRefused ? (this.options.rejectStatus ?? 400) : 400 };
  }

  /** Whether the request being written had a sample refused by `rejectSample`. */
  private policyRefused = false;

  /** Writes the valid part of a request like Cortex: invalid series and samples are skipped, the rest is
   * stored, and the first reason is returned. */
  private write(series: readonly DecodedSeries[]): string | undefined {
    const maxLabels = this.options.maxLabelsPerSeries ?? 70;
    const rejectOutOfOrder = this.options.rejectOutOfOrder ?? true;
    let firstProblem: string | undefined;
    const fail = (reason: string): void => {
      firstProblem ??= reason;
    };
    for (const one of series) {
      const labelError = labelProblem(one.labels, maxLabels);
      if (labelError !== undefined) {
        this.violations.push(labelError);
        fail(labelError);
        continue;
      }
      const key = seriesKey(one.labels);
      if (one.samples.length === 0) {
        const reason = `series without samples: {${key}}`;
        this.violations.push(reason);
        fail(reason);
        continue;
      }
      let previous: number | undefined;
      for (const sample of one.samples) {
        if (previous !== undefined && sample.timestampMs <= previous) {
          const reason = `samples not strictly ascending within the request: timestamp=${sample.timestampMs} after ${previous}, series={${key}}`;
          this.violations.push(reason);
          fail(reason);
          this.reject(key, sample, reason);
          continue;
        }
        previous = sample.timestampMs;
        const policy = this.options.rejectSample?.(one.labels, {
          value: sample.value,
          timestampMs: sample.timestampMs,
          stale: sample.stale,
        });
        if (policy !== undefined && firstProblem === undefined) this.policyRefused = true;
        const reason = policy ?? this.append(key, sample, rejectOutOfOrder);
        if (reason !== undefined) {
          fail(reason);
          this.reject(key, sample, reason);
        }
      }
    }
    return firstProblem;
  }

  private reject(key: string, sample: DecodedSample, reason: string): void {
    this.rejected.push({
      key,
      timestampMs: sample.timestampMs,
      value: sample.value,
      stale: sample.stale,
      reason,
    });
  }

  /** Stores one sample; returns why it was refused, if it was. */
  private append(key: string, sample: DecodedSample, rejectOutOfOrder: boolean): string | undefined {
    let stored = this.store.get(key);
    if (stored === undefined) {
      stored = [];
      this.store.set(key, stored);
    }
    const newest = stored.at(-1);
    const entry: StoredSample = {
      timestampMs: sample.timestampMs,
      value: sample.value,
      bits: sample.bits,
      stale: sample.stale,
    };
    if (newest === undefined || sample.timestampMs > newest.timestampMs) {
      stored.push(entry);
      return undefined;
    }
    let lo = 0;
    let hi = stored.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (stored[mid]!.timestampMs < sample.timestampMs) lo = mid + 1;
      else hi = mid;
    }
    const existing = stored[lo];
    const older = sample.timestampMs < newest.timestampMs;
    const outOfOrder = `out of order sample. timestamp=${sample.timestampMs}, newest=${newest.timestampMs}, series={${key}}`;
    if (existing !== undefined && existing.timestampMs === sample.timestampMs) {
      if (existing.bits !== sample.bits)
        return `duplicate sample for timestamp. timestamp=${sample.timestampMs}, series={${key}}`;
      // Prometheus and Cortex compare an exact duplicate with the newest sample only.
      if (older && rejectOutOfOrder && this.options.exactDuplicates === 'newest-only') return outOfOrder;
      return undefined;
    }
    if (older && rejectOutOfOrder) return outOfOrder;
    stored.splice(lo, 0, entry);
    return undefined;
  }
}
