// A remote-write proxy in front of the real Prometheus that injects receiver faults on a fixed schedule and
// records every sample Prometheus accepted, so the soak can tell "written once" from "written twice":
//   - 400 for any request holding a series labelled quality="poison" (never forwarded), like AMP refusing a
//     sample: the bridge must isolate those messages by bisection and dead-letter only them;
//   - 500 "too old sample" for any request holding a series labelled quality="poison-500" (never forwarded, so
//     nothing of it is stored), like Prometheus 2.42 with an out-of-order window: the bridge must write the rest
//     of each such request, return the poison message until its final receive, and then dead-letter it alone;
//   - bursts of 503 (every `burstEvery` requests, `burstLength` in a row), and one outage: every request answered
//     503 for `outageMs` once `outageAfterRequests` requests have come, longer than an invocation's deadline, so
//     messages go back to SQS as batch item failures and are redelivered;
//   - 429 with Retry-After: 1 on a share of requests;
//   - "lost answers": forwarded and written, then answered 503, as when a receiver's answer is lost: the
//     bridge resends, and an exact duplicate is accepted again (these resends are counted apart).
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { decodeWriteRequest, type DecodedSeries } from '../../test/support/strict-receiver.js';

const require = createRequire(import.meta.url);
// snappyjs ships no type declarations; an independent decoder of the bridge's native snappy output.
const snappyjs = require('snappyjs') as { uncompress(data: Uint8Array): Uint8Array };

export interface FaultSchedule {
  /** A burst of 503s starts at every `burstEvery`-th request. */
  readonly burstEvery: number;
  readonly burstLength: number;
  /** Share of the other requests answered 429 (Retry-After: 1). */
  readonly share429: number;
  /** Share of the other requests written, then answered 503. */
  readonly shareLostAnswer: number;
  readonly outageAfterRequests: number;
  readonly outageMs: number;
}

export interface ProxyCounters {
  requests: number;
  forwarded: number;
  poison400: number;
  poison500: number;
  burst503: number;
  outage503: number;
  throttled429: number;
  lostAnswers: number;
  prometheusErrors: number;
  undecodable: number;
}

/** Identifies a sample for the ledger; undefined for samples the soak did not send. */
export type SampleIndex = (series: DecodedSeries, timestampMs: number) => number | undefined;

export interface FaultProxy {
  readonly url: string;
  readonly counters: ProxyCounters;
  /** Times each sample was accepted by Prometheus (index from SampleIndex), saturating at 255. */
  readonly accepted: Uint8Array;
  /** Times each sample was accepted in a request whose answer was then "lost". */
  readonly acceptedWithLostAnswer: Uint8Array;
  /** Prometheus' answers other than 2xx, first few. */
  readonly prometheusErrorSamples: string[];
  close(): Promise<void>;
}

interface ProxyState {
  readonly options: FaultProxyOptions;
  readonly target: URL;
  readonly counters: ProxyCounters;
  readonly accepted: Uint8Array;
  readonly acceptedWithLostAnswer: Uint8Array;
  readonly prometheusErrorSamples: string[];
  burstLeft: number;
  outageEndsAt: number | undefined;
}

export interface FaultProxyOptions {
  readonly target: string;
  readonly schedule: FaultSchedule;
  readonly sampleIndex: SampleIndex;
  readonly sampleCount: number;
  readonly random: () => number;
}

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const out = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: {
          'content-type': req.headers['content-type'] ?? '',
          'content-encoding': req.headers['content-encoding'] ?? '',
          'x-prometheus-remote-write-version': req.headers['x-prometheus-remote-write-version'] ?? '',
          'content-length': String(body.length),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

function mark(state: ProxyState, series: DecodedSeries[], counts: Uint8Array): void {
  for (const s of series)
    for (const sample of s.samples) {
      const index = state.options.sampleIndex(s, sample.timestampMs);
      if (index !== undefined && counts[index]! < 255) counts[index]!++;
    }
}

/** The injected answer for a request, or undefined to forward it. */
function injectedAnswer(
  state: ProxyState,
  series: DecodedSeries[],
): { status: number; text: string; retryAfter?: string } | undefined {
  const { counters, options } = state;
  const quality = (value: string) =>
    series.find((s) => s.labels.some((l) => l.name === 'quality' && l.value === value));
  const poison = quality('poison');
  if (poison !== undefined) {
    counters.poison400++;
    const shown = poison.labels.map((l) => `${l.name}="${l.value}"`).join(', ');
    return { status: 400, text: `err: poison sample rejected by policy, series {${shown}}` };
  }
  if (quality('poison-500') !== undefined) {
    counters.poison500++;
    return { status: 500, text: 'too old sample' };
  }
  if (state.outageEndsAt === undefined && counters.requests >= options.schedule.outageAfterRequests)
    state.outageEndsAt = Date.now() + options.schedule.outageMs;
  if (state.outageEndsAt !== undefined && Date.now() < state.outageEndsAt) {
    counters.outage503++;
    return { status: 503, text: 'injected: receiver outage' };
  }
  if (state.burstLeft === 0 && counters.requests % options.schedule.burstEvery === 0)
    state.burstLeft = options.schedule.burstLength;
  if (state.burstLeft > 0) {
    state.burstLeft--;
    counters.burst503++;
    return { status: 503, text: 'injected: service unavailable (burst)' };
  }
  return undefined;
}

async function handle(state: ProxyState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const { counters, options } = state;
  counters.requests++;
  let series: DecodedSeries[];
  try {
    series = decodeWriteRequest(snappyjs.uncompress(body)).series;
  } catch (error) {
    counters.undecodable++;
    res.writeHead(400).end(`cannot decode: ${String(error)}`);
    return;
  }
  const injected = injectedAnswer(state, series);
  if (injected !== undefined) {
    res.writeHead(injected.status).end(injected.text);
    return;
  }
  const roll = options.random();
  if (roll < options.schedule.share429) {
    counters.throttled429++;
    res.writeHead(429, { 'retry-after': '1' }).end('injected: ingestion rate limit exceeded');
    return;
  }
  const lose = roll < options.schedule.share429 + options.schedule.shareLostAnswer;
  const answer = await forward(state.target, req, body);
  counters.forwarded++;
  if (answer.status >= 200 && answer.status < 300) {
    mark(state, series, state.accepted);
    if (lose) {
      mark(state, series, state.acceptedWithLostAnswer);
      counters.lostAnswers++;
      res.writeHead(503).end('injected: written, but the answer was lost');
      return;
    }
  } else {
    counters.prometheusErrors++;
    if (state.prometheusErrorSamples.length < 10)
      state.prometheusErrorSamples.push(`${answer.status} ${answer.text}`);
  }
  res.writeHead(answer.status).end(answer.text);
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const state: ProxyState = {
    options,
    target: new URL(options.target),
    counters: {
      requests: 0,
      forwarded: 0,
      poison400: 0,
      poison500: 0,
      burst503: 0,
      outage503: 0,
      throttled429: 0,
      lostAnswers: 0,
      prometheusErrors: 0,
      undecodable: 0,
    },
    accepted: new Uint8Array(options.sampleCount),
    acceptedWithLostAnswer: new Uint8Array(options.sampleCount),
    prometheusErrorSamples: [],
    burstLeft: 0,
    outageEndsAt: undefined,
  };
  const server: Server = createServer((req, res) => {
    handle(state, req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502).end(`proxy failure: ${String(error)}`);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v1/write`,
    counters: state.counters,
    accepted: state.accepted,
    acceptedWithLostAnswer: state.acceptedWithLostAnswer,
    prometheusErrorSamples: state.prometheusErrorSamples,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
