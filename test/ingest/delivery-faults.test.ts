// The four receiver cases of the reliability issue, through the built bundle, against four receivers: the
// strict receiver writing partially (Cortex, AMP) and wholly (Prometheus 2.42), each emulating an out-of-order
// window for the poison series, and the real Prometheus 2.42 without and with an out-of-order window.
//   1. bisection after a 400 must not dead-letter what the first request stored;
//   2. a 5xx after the request was stored must not either;
//   3. a resend after a lost connection, refused because the receiver holds a newer sample, is not written;
//   4. a poison answered 500 returns its batch before the final receive and goes alone on it.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startPrometheus, type PrometheusServer } from '../support/prometheus.js';
import { receiveAll } from '../support/queues.js';
import { seriesKey, StrictReceiver } from '../support/strict-receiver.js';
import {
  failedIds,
  lambdaContext,
  loadBundle,
  sampleBody,
  sqsEvent,
  sqsRecord,
  sqsServerForFile,
  type BundleHandler,
} from './harness.js';

const sqsServer = sqsServerForFile();
const METRIC = 'fault_case';
const OOO_WINDOW_MS = 10 * 60_000;
let queues = 0;

type Fault = 'stored-then-504' | 'drop';

/** A receiver under test: where to write, how to fault the next request, what it stored. */
interface Target {
  readonly name: string;
  /** Whether samples older than the series' newest but inside the window are accepted. */
  readonly outOfOrderWindow: boolean;
  readonly url: string;
  faultNext(fault: Fault): void;
  stored(device: string): Promise<Array<{ timestampMs: number; value: number }>>;
  close(): Promise<void>;
}

async function strictTarget(writeMode: 'partial' | 'whole'): Promise<Target> {
  const receiver = await StrictReceiver.start({
    writeMode,
    exactDuplicates: 'newest-only',
    // The poison series of case 4 behaves as under Prometheus' out-of-order window: too old is a 500.
    rejectStatus: 500,
    rejectSample: (labels, sample) =>
      labels.some((l) => l.name === 'device' && l.value.includes('poison')) &&
      sample.timestampMs < Date.now() - OOO_WINDOW_MS
        ? 'too old sample'
        : undefined,
  });
  return {
    name: `strict receiver, ${writeMode} writes`,
    outOfOrderWindow: false,
    url: receiver.url,
    faultNext: (fault) =>
      receiver.enqueueFaults(
        fault === 'drop' ? { kind: 'drop' } : { kind: 'status', status: 504, afterWrite: true },
      ),
    stored: async (device) =>
      (
        receiver.written().get(
          seriesKey([
            { name: '__name__', value: METRIC },
            { name: 'device', value: device },
          ]),
        ) ?? []
      ).map(({ timestampMs, value }) => ({ timestampMs, value })),
    close: () => receiver.close(),
  };
}

/** Prometheus behind a proxy that can answer 504 after forwarding, or drop a connection unforwarded. */
async function prometheusTarget(outOfOrderTimeWindow: string | undefined): Promise<Target> {
  const prometheus: PrometheusServer = await startPrometheus(
    outOfOrderTimeWindow === undefined ? {} : { outOfOrderTimeWindow },
  );
  const faults: Fault[] = [];
  const target = new URL(prometheus.remoteWriteUrl);
  const proxy: Server = createServer((req, res) => {
    const fault = faults.shift();
    if (fault === 'drop') {
      req.socket.destroy();
      return;
    }
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: req.headers,
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          if (fault === 'stored-then-504') res.writeHead(504).end('gateway timeout');
          else res.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(chunks));
        });
      },
    );
    req.pipe(upstream);
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  return {
    name: `Prometheus 2.42, ${outOfOrderTimeWindow === undefined ? 'no' : outOfOrderTimeWindow} out-of-order window`,
    outOfOrderWindow: outOfOrderTimeWindow !== undefined,
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/api/v1/write`,
    faultNext: (fault) => faults.push(fault),
    stored: async (device) => {
      const series = await prometheus.rawSamples(
        `${METRIC}{device="${device}"}`,
        Date.now() - 3_600_000,
        Date.now() + 60_000,
      );
      return (series[0]?.samples ?? []).map(({ timestampMs, value }) => ({ timestampMs, value }));
    },
    close: async () => {
      proxy.closeAllConnections();
      proxy.close();
      await prometheus.stop();
    },
  };
}

async function bundleFor(target: Target, extra: Record<string, string> = {}) {
  queues += 1;
  const dlq = (await sqsServer().createQueuePair(`faults-${queues}`)).deadLetterQueueUrl;
  const handler: BundleHandler = await loadBundle({
    REMOTE_WRITE_URL: target.url,
    DEAD_LETTER_QUEUE_URL: dlq,
    RETRY_BASE_DELAY_MS: '20',
    RETRY_MAX_DELAY_MS: '200',
    ...extra,
  });
  const deadLetters = async () =>
    new Map(
      (await receiveAll(sqsServer().client(), dlq)).map((m) => [
        m.MessageAttributes?.['bridge-source-message-id']?.StringValue ?? '',
        {
          kind: m.MessageAttributes?.['bridge-error-kind']?.StringValue ?? '',
          reason: m.MessageAttributes?.['bridge-error']?.StringValue ?? '',
        },
      ]),
    );
  return { handler, deadLetters };
}

const body = (device: string, value: number, timestampMs: number) =>
  sampleBody(device, value, timestampMs, METRIC);

/** Whole seconds, so Prometheus and the bridge agree on every timestamp. */
const recent = (agoMs: number) => Math.floor((Date.now() - agoMs) / 1000) * 1000;

const TARGETS: Array<() => Promise<Target>> = [
  () => strictTarget('partial'),
  () => strictTarget('whole'),
  () => prometheusTarget(undefined),
  () => prometheusTarget('10m'),
];

for (const [n, startTarget] of TARGETS.entries()) {
  describe(`receiver ${n + 1}`, { timeout: 180_000 }, () => {
    let target: Target;
    before(async () => {
      target = await startTarget();
    });
    after(() => target?.close());

    test('case 1: bisection after a 400 dead-letters only the refused message', async () => {
      const { handler, deadLetters } = await bundleFor(target);
      const t1 = recent(120_000);
      // The receiver already holds c1 at t1 with another value, so C is refused as a duplicate.
      await handler(sqsEvent([sqsRecord(body(`c1-x-${n}`, 9, t1))]), lambdaContext());
      const a = sqsRecord(body(`c1-d-${n}`, 1, t1));
      const b = sqsRecord(body(`c1-d-${n}`, 2, t1 + 1000));
      const c = sqsRecord(body(`c1-x-${n}`, 3, t1));
      const response = await handler(sqsEvent([a, b, c]), lambdaContext());
      assert.deepEqual(response, { batchItemFailures: [] }, target.name);
      const dead = await deadLetters();
      assert.deepEqual([...dead.keys()], [c.messageId], target.name);
      assert.equal(dead.get(c.messageId)?.kind, 'rejected-by-receiver');
      assert.match(dead.get(c.messageId)?.reason ?? '', /duplicate sample for timestamp/);
      assert.deepEqual(await target.stored(`c1-d-${n}`), [
        { timestampMs: t1, value: 1 },
        { timestampMs: t1 + 1000, value: 2 },
      ]);
    });

    test('case 2: a 504 after the request was stored dead-letters nothing', async () => {
      const { handler, deadLetters } = await bundleFor(target);
      const t1 = recent(120_000);
      const records = [0, 1, 2].map((i) => sqsRecord(body(`c2-d-${n}`, i, t1 + i * 1000)));
      records.push(sqsRecord(body(`c2-e-${n}`, 7, t1)));
      target.faultNext('stored-then-504');
      const response = await handler(sqsEvent(records), lambdaContext());
      assert.deepEqual(response, { batchItemFailures: [] }, target.name);
      assert.equal((await deadLetters()).size, 0, target.name);
      assert.equal((await target.stored(`c2-d-${n}`)).length, 3);
      assert.equal((await target.stored(`c2-e-${n}`)).length, 1);
    });

    test('case 3: a resend after a lost connection is written only if the receiver stores it', async () => {
      const { handler, deadLetters } = await bundleFor(target);
      const t1 = recent(120_000);
      await handler(sqsEvent([sqsRecord(body(`c3-d-${n}`, 5, t1 + 5000))]), lambdaContext());
      target.faultNext('drop');
      const old = sqsRecord(body(`c3-d-${n}`, 1, t1));
      const response = await handler(sqsEvent([old]), lambdaContext());
      assert.deepEqual(response, { batchItemFailures: [] }, target.name);
      const stored = await target.stored(`c3-d-${n}`);
      const dead = await deadLetters();
      if (target.outOfOrderWindow) {
        assert.deepEqual(stored[0], { timestampMs: t1, value: 1 }, target.name);
        assert.equal(dead.size, 0);
      } else {
        // Refused, so not counted as written: dead-lettered with the receiver's words.
        assert.deepEqual(stored, [{ timestampMs: t1 + 5000, value: 5 }], target.name);
        assert.equal(dead.get(old.messageId)?.kind, 'rejected-by-receiver', target.name);
        assert.match(dead.get(old.messageId)?.reason ?? '', /out of order/);
      }
    });

    test('case 4: a poison answered 500 returns its batch before the final receive, and goes alone on it', async () => {
      const { handler, deadLetters } = await bundleFor(target, {
        MAX_RECEIVE_COUNT: '3',
        DEADLINE_SAFETY_MARGIN_MS: '500',
        RETRY_BASE_DELAY_MS: '50',
      });
      const fresh = recent(60_000);
      for (const receiveCount of [1, 3]) {
        const good = [0, 1, 2].map((i) =>
          sqsRecord(body(`c4-g${receiveCount}-${n}`, i, fresh + i * 1000), { receiveCount }),
        );
        const poison = sqsRecord(body(`c4-poison-${receiveCount}-${n}`, 0, 0), { receiveCount });
        // Written fresh first, then refused: the device's clock jumped back 30 minutes.
        await handler(
          sqsEvent([sqsRecord(body(`c4-poison-${receiveCount}-${n}`, 2, fresh))]),
          lambdaContext(),
        );
        poison.body = body(`c4-poison-${receiveCount}-${n}`, 3, recent(30 * 60_000));
        const response = await handler(sqsEvent([...good, poison]), lambdaContext(4000));
        const dead = await deadLetters();
        const name = `${target.name}, receive ${receiveCount} of 3`;
        if (target.name.startsWith('Prometheus') && !target.outOfOrderWindow) {
          // Without a window the same sample is a plain 400 out of order: rejected at once.
          assert.deepEqual(failedIds(response), [], name);
          assert.equal(dead.get(poison.messageId)?.kind, 'rejected-by-receiver', name);
        } else if (receiveCount === 1) {
          assert.ok(failedIds(response).includes(poison.messageId), name);
          assert.equal(dead.size, 0, `${name}: a 5xx is no reason to dead-letter before the final receive`);
        } else {
          assert.deepEqual(failedIds(response), [], name);
          assert.deepEqual([...dead.keys()], [poison.messageId], name);
          assert.equal(dead.get(poison.messageId)?.kind, 'failed-after-retries', name);
          assert.match(dead.get(poison.messageId)?.reason ?? '', /500.*too old sample/, name);
          assert.equal((await target.stored(`c4-g${receiveCount}-${n}`)).length, 3, name);
        }
      }
    });
  });
}
