// An in-memory remote-write receiver for the delivery unit tests: it reads the JSON bodies the tests' encoder
// writes, stores samples like Prometheus' TSDB with no out-of-order window (an exact duplicate is accepted only
// for a series' newest sample), and plays scripted faults on a fake clock. `partial` stores the valid part of a
// refused request (Cortex, Mimir, AMP); `whole` stores nothing of it (Prometheus 2.42).
import type { WriteBatch } from '../../../functions/pipeline/model.js';
import type { AttemptResult, RemoteWriteClient } from '../../../functions/ingest/remote-write-client.js';

export type ModelFault =
  /** Answer with the status, store nothing. */
  | { readonly kind: 'status'; readonly status: number; readonly retryAfter?: string }
  /** Store as usual, then answer 500 (a proxy's 504 after the backend stored). */
  | { readonly kind: 'stored-then-500' }
  /** No answer: the connection drops, with or without the request stored. */
  | { readonly kind: 'lost'; readonly stored: boolean }
  /** No answer until the client's timeout, with or without the request stored. */
  | { readonly kind: 'hang'; readonly stored: boolean };

export interface FakeClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
  advance(ms: number): void;
}

export function fakeClock(startMs = 1_000_000): FakeClock {
  let t = startMs;
  return {
    now: () => t,
    sleep: (ms) => {
      t += ms;
      return Promise.resolve();
    },
    random: () => 0.5,
    advance: (ms) => {
      t += ms;
    },
  };
}

/** The test encoding of a batch: [series key, [[timestamp, value], ...]] per series. */
export type ModelBody = Array<[string, Array<[number, number]>]>;

export function modelEncode(batch: WriteBatch): Uint8Array {
  const body: ModelBody = batch.series.map((s) => {
    const samples: Array<[number, number]> = [];
    for (let k = s.start; k < s.end; k++)
      samples.push([batch.columns.timestampMs[k]!, batch.columns.value[k]!]);
    return [s.labels.map((l) => `${l.name}=${l.value}`).join(','), samples];
  });
  return Buffer.from(JSON.stringify(body));
}

export interface ModelReceiverOptions {
  readonly mode: 'partial' | 'whole';
  /** A reason to refuse the sample for its content, or undefined. */
  readonly refuse?: (seriesKey: string, timestampMs: number) => string | undefined;
  /** Status of a content refusal in whole mode (Prometheus answers 500 for "too old sample"). @default 400 */
  readonly wholeRefusalStatus?: number;
  readonly clock: FakeClock;
  /** Time every answered request takes. @default 5 */
  readonly latencyMs?: number;
}

export class ModelReceiver implements RemoteWriteClient {
  readonly store = new Map<string, Map<number, number>>();
  readonly newest = new Map<string, number>();
  readonly faults: ModelFault[] = [];
  readonly bodies: ModelBody[] = [];

  constructor(private readonly options: ModelReceiverOptions) {}

  send(body: Uint8Array, timeoutMs: number): Promise<AttemptResult> {
    const request = JSON.parse(Buffer.from(body).toString('utf8')) as ModelBody;
    this.bodies.push(request);
    const fault = this.faults.shift();
    const { clock } = this.options;
    if (fault?.kind === 'hang') {
      if (fault.stored) this.write(request);
      clock.advance(timeoutMs);
      return Promise.resolve({ kind: 'timeout', timeoutMs });
    }
    clock.advance(this.options.latencyMs ?? 5);
    if (fault?.kind === 'status') {
      return Promise.resolve({
        kind: 'response',
        status: fault.status,
        text: `fault ${fault.status}`,
        ...(fault.retryAfter === undefined ? {} : { retryAfter: fault.retryAfter }),
      });
    }
    if (fault?.kind === 'lost') {
      if (fault.stored) this.write(request);
      return Promise.resolve({ kind: 'network-error', message: 'ECONNRESET: socket hang up' });
    }
    const problem = this.write(request);
    if (fault?.kind === 'stored-then-500')
      return Promise.resolve({ kind: 'response', status: 500, text: 'proxy' });
    if (problem === undefined) return Promise.resolve({ kind: 'response', status: 204, text: '' });
    return Promise.resolve({ kind: 'response', status: problem.status, text: problem.text });
  }

  close(): void {}

  stored(seriesKey: string, timestampMs: number): number | undefined {
    return this.store.get(seriesKey)?.get(timestampMs);
  }

  /** Applies the request; returns the answer for its first refused sample, if any. */
  private write(request: ModelBody): { status: number; text: string } | undefined {
    const accepted: Array<[string, number, number]> = [];
    const newest = new Map(this.newest);
    let first: { status: number; text: string } | undefined;
    for (const [key, samples] of request) {
      for (const [timestampMs, value] of samples) {
        const reason = this.check(key, timestampMs, value, newest);
        if (reason === undefined) {
          accepted.push([key, timestampMs, value]);
          newest.set(key, Math.max(newest.get(key) ?? -Infinity, timestampMs));
        } else first ??= reason;
      }
    }
    if (first !== undefined && this.options.mode === 'whole') return first;
    for (const [key, timestampMs, value] of accepted) {
      let series = this.store.get(key);
      if (series === undefined) this.store.set(key, (series = new Map()));
      series.set(timestampMs, value);
    }
    for (const [key, at] of newest) this.newest.set(key, at);
    return first;
  }

  private check(
    key: string,
    timestampMs: number,
    value: number,
    newest: ReadonlyMap<string, number>,
  ): { status: number; text: string } | undefined {
    const policy = this.options.refuse?.(key, timestampMs);
    const status = this.options.mode === 'whole' ? (this.options.wholeRefusalStatus ?? 400) : 400;
    if (policy !== undefined) return { status, text: policy };
    const top = newest.get(key);
    const existing = this.store.get(key)?.get(timestampMs);
    if (existing !== undefined && existing !== value)
      return { status: 400, text: `duplicate sample for timestamp ${timestampMs}` };
    if (top !== undefined && timestampMs < top) {
      return { status: 400, text: `out of order sample. timestamp=${timestampMs}, newest=${top}` };
    }
    return undefined;
  }
}
