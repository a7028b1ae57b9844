// Tests of the strict test receiver itself: it must accept a correct request and catch every mistake the
// bridge could make. Requests here are built with protobufjs from proto/ and native snappy, not with the
// bridge's encoder, so a bug in the encoder cannot hide a bug in the receiver.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { compressSync } from 'snappy';
import { seriesKey, StrictReceiver, type Fault } from '../support/strict-receiver.js';

const WriteRequest = protobuf
  .loadSync(join(dirname(fileURLToPath(import.meta.url)), '../../proto/remote.proto'))
  .lookupType('prometheus.WriteRequest');

interface TestSeries {
  labels: Array<[string, string]>;
  samples: Array<[number, number] | [number, 'stale']>;
}

/** A value no test uses, written where a stale marker goes and then patched to the marker's exact bytes. */
const STALE_PLACEHOLDER = 1234567.891;

function protobufBody(series: TestSeries[]): Buffer {
  const message = WriteRequest.fromObject({
    timeseries: series.map((s) => ({
      labels: s.labels.map(([name, value]) => ({ name, value })),
      samples: s.samples.map(([timestamp, value]) => ({
        timestamp,
        value: value === 'stale' ? STALE_PLACEHOLDER : value,
      })),
    })),
  });
  const bytes = Buffer.from(WriteRequest.encode(message).finish());
  const placeholder = Buffer.alloc(8);
  placeholder.writeDoubleLE(STALE_PLACEHOLDER);
  const stale = Buffer.from([0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]);
  for (let at = bytes.indexOf(placeholder); at !== -1; at = bytes.indexOf(placeholder, at + 8))
    stale.copy(bytes, at);
  return bytes;
}

const GOOD_HEADERS: Record<string, string> = {
  'content-encoding': 'snappy',
  'content-type': 'application/x-protobuf',
  'x-prometheus-remote-write-version': '0.1.0',
  'user-agent': 'receiver-test/1',
};

interface Answer {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function post(
  url: string,
  body: Uint8Array,
  headers: Record<string, string> = GOOD_HEADERS,
  options: { method?: string; timeoutMs?: number } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'POST', headers, timeout: options.timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

function send(receiver: StrictReceiver, series: TestSeries[]): Promise<Answer> {
  return post(receiver.url, compressSync(protobufBody(series)));
}

const cpu: TestSeries = {
  labels: [
    ['Zone', 'eu'],
    ['__name__', 'cpu_seconds'],
    ['app', 'x'],
  ],
  samples: [
    [1000, 1.5],
    [2000, 2.5],
  ],
};

describe('strict receiver', () => {
  let receiver: StrictReceiver;
  before(async () => {
    receiver = await StrictReceiver.start();
  });
  after(() => receiver.close());

  test('listens on loopback and accepts a correct request with 204', async () => {
    assert.match(receiver.url, /^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/write$/);
    const answer = await send(receiver, [cpu]);
    assert.equal(answer.status, 204);
    const last = receiver.requests.at(-1)!;
    assert.equal(last.status, 204);
    assert.equal(last.headers['user-agent'], 'receiver-test/1');
    assert.deepEqual(last.series[0]!.labels, [
      { name: 'Zone', value: 'eu' },
      { name: '__name__', value: 'cpu_seconds' },
      { name: 'app', value: 'x' },
    ]);
    assert.deepEqual(receiver.violations, []);
    assert.deepEqual(receiver.written().get('Zone="eu",__name__="cpu_seconds",app="x"'), [
      { timestampMs: 1000, value: 1.5, stale: false },
      { timestampMs: 2000, value: 2.5, stale: false },
    ]);
  });

  test('seriesKey sorts by byte order, not locale', () => {
    assert.equal(
      seriesKey([
        { name: 'app', value: 'x' },
        { name: '__name__', value: 'm' },
        { name: 'Zone', value: 'eu' },
      ]),
      'Zone="eu",__name__="m",app="x"',
    );
  });
});

describe('strict receiver rejects protocol violations with 400', () => {
  let receiver: StrictReceiver;
  before(async () => {
    receiver = await StrictReceiver.start();
  });
  after(() => receiver.close());

  async function expectViolation(answer: Promise<Answer>, pattern: RegExp): Promise<void> {
    const before = receiver.violations.length;
    const { status, body } = await answer;
    assert.equal(status, 400, body);
    assert.match(body, pattern);
    assert.ok(receiver.violations.length > before, 'recorded as a violation');
    assert.match(receiver.violations.at(-1)!, pattern);
  }

  test('a framed (stream format) snappy body', async () => {
    const framed = Buffer.concat([
      Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]),
      Buffer.from([0x01, 0x09, 0x00, 0x00, 0, 0, 0, 0, 0x0a]),
    ]);
    await expectViolation(post(receiver.url, framed), /framed/);
  });

  test('a body that is not snappy at all', async () => {
    await expectViolation(post(receiver.url, protobufBody([cpu])), /snappy|unmarshal/);
  });

  test('wrong or missing headers', async () => {
    const body = compressSync(protobufBody([cpu]));
    const without = (name: string) =>
      Object.fromEntries(Object.entries(GOOD_HEADERS).filter(([n]) => n !== name));
    await expectViolation(post(receiver.url, body, without('content-encoding')), /content-encoding/);
    await expectViolation(
      post(receiver.url, body, { ...GOOD_HEADERS, 'content-encoding': 'gzip' }),
      /content-encoding/,
    );
    await expectViolation(
      post(receiver.url, body, {
        ...GOOD_HEADERS,
        'content-type': 'application/x-protobuf;proto=prometheus.WriteRequest',
      }),
      /content-type/,
    );
    await expectViolation(
      post(receiver.url, body, { ...GOOD_HEADERS, 'x-prometheus-remote-write-version': '2.0.0' }),
      /x-prometheus-remote-write-version/,
    );
    await expectViolation(post(receiver.url, body, without('user-agent')), /user-agent/);
  });

  test('a method other than POST', async () => {
    await expectViolation(post(receiver.url, Buffer.alloc(0), GOOD_HEADERS, { method: 'PUT' }), /POST/);
  });

  test('labels sorted with __name__ first (Zone must come before __name__)', async () => {
    await expectViolation(
      send(receiver, [
        {
          labels: [
            ['__name__', 'm'],
            ['Zone', 'eu'],
          ],
          samples: [[1, 1]],
        },
      ]),
      /labels not sorted/,
    );
  });

  test('duplicate, empty and invalid labels', async () => {
    const one = (labels: Array<[string, string]>): TestSeries[] => [{ labels, samples: [[1, 1]] }];
    await expectViolation(
      send(
        receiver,
        one([
          ['__name__', 'm'],
          ['a', '1'],
          ['a', '2'],
        ]),
      ),
      /duplicate label name/,
    );
    await expectViolation(
      send(
        receiver,
        one([
          ['__name__', 'm'],
          ['a', ''],
        ]),
      ),
      /empty value/,
    );
    await expectViolation(
      send(
        receiver,
        one([
          ['', 'x'],
          ['__name__', 'm'],
        ]),
      ),
      /empty label name/,
    );
    await expectViolation(send(receiver, one([['job', 'x']])), /missing metric name/);
    await expectViolation(send(receiver, one([['__name__', '1m']])), /invalid metric name/);
    await expectViolation(
      send(
        receiver,
        one([
          ['__name__', 'm'],
          ['bad-name', 'x'],
        ]),
      ),
      /invalid label/,
    );
    const many: Array<[string, string]> = [['__name__', 'm']];
    for (let i = 0; i < 70; i++) many.push([`l${String(i).padStart(2, '0')}`, 'v']);
    await expectViolation(send(receiver, one(many)), /too many labels \(actual: 71, limit: 70\)/);
  });

  test('a metric name with colons is valid', async () => {
    const answer = await send(receiver, [
      { labels: [['__name__', 'http:requests:rate5m']], samples: [[1, 1]] },
    ]);
    assert.equal(answer.status, 204, answer.body);
  });

  test('samples not strictly ascending within a series, and a series without samples', async () => {
    await expectViolation(
      send(receiver, [
        {
          labels: [['__name__', 'unordered']],
          samples: [
            [2000, 1],
            [1000, 1],
          ],
        },
      ]),
      /strictly ascending/,
    );
    await expectViolation(
      send(receiver, [
        {
          labels: [['__name__', 'same_ts']],
          samples: [
            [1000, 1],
            [1000, 1],
          ],
        },
      ]),
      /strictly ascending/,
    );
    await expectViolation(
      send(receiver, [{ labels: [['__name__', 'empty']], samples: [] }]),
      /without samples/,
    );
  });

  test('fields the bridge never sends (a native histogram)', async () => {
    // TimeSeries field 4 (histograms), length-delimited, appended to a valid series.
    const series = protobufBody([{ labels: [['__name__', 'h']], samples: [[1, 1]] }]);
    const inner = Buffer.concat([series.subarray(2), Buffer.from([0x22, 0x00])]);
    const body = Buffer.concat([Buffer.from([0x0a, inner.length]), inner]);
    const before = receiver.violations.length;
    await post(receiver.url, compressSync(body));
    assert.match(receiver.violations.slice(before).join('\n'), /TimeSeries field 4/);
  });
});

describe('strict receiver writes', () => {
  test('stale markers by their exact bits, and a quiet NaN is not one', async () => {
    const receiver = await StrictReceiver.start();
    try {
      const answer = await send(receiver, [
        {
          labels: [['__name__', 'gone']],
          samples: [
            [1000, Number.NaN],
            [2000, 'stale'],
          ],
        },
      ]);
      assert.equal(answer.status, 204, answer.body);
      const samples = receiver.written().get('__name__="gone"')!;
      assert.equal(samples.length, 2);
      assert.equal(samples[0]!.stale, false);
      assert.ok(Number.isNaN(samples[0]!.value));
      assert.equal(samples[1]!.stale, true);
      assert.equal(receiver.requests[0]!.series[0]!.samples[1]!.stale, true);
    } finally {
      await receiver.close();
    }
  });

  test('exact duplicates are accepted once; a different value or an older sample is a partial write with 400', async () => {
    const receiver = await StrictReceiver.start();
    try {
      const other: TestSeries = { labels: [['__name__', 'other']], samples: [[500, 1]] };
      assert.equal((await send(receiver, [cpu])).status, 204);
      assert.equal((await send(receiver, [cpu])).status, 204, 'an identical resend is accepted');
      assert.equal(receiver.writtenSampleCount(), 2);

      const conflict = await send(receiver, [{ labels: cpu.labels, samples: [[2000, 9]] }, other]);
      assert.equal(conflict.status, 400);
      assert.match(conflict.body, /duplicate sample for timestamp/);
      assert.equal(receiver.writtenSampleCount(), 3, 'the valid series of the request was still written');

      const old = await send(receiver, [{ labels: cpu.labels, samples: [[1500, 1]] }]);
      assert.equal(old.status, 400);
      assert.match(old.body, /out of order sample/);
      assert.deepEqual(receiver.violations, [], 'receiver policy rejections are not protocol violations');
      assert.deepEqual(
        receiver.rejected.map((r) => r.reason.split('.')[0]),
        ['duplicate sample for timestamp', 'out of order sample'],
      );
    } finally {
      await receiver.close();
    }
  });

  test("exactDuplicates: 'newest-only' refuses an identical resend of older samples, as Prometheus does", async () => {
    const receiver = await StrictReceiver.start({ exactDuplicates: 'newest-only' });
    try {
      assert.equal((await send(receiver, [cpu])).status, 204);
      const resend = await send(receiver, [cpu]);
      assert.equal(resend.status, 400);
      assert.match(resend.body, /out of order sample. timestamp=1000/);
      assert.equal((await send(receiver, [{ labels: cpu.labels, samples: [[2000, 2.5]] }])).status, 204);
      assert.equal(receiver.writtenSampleCount(), 2);
    } finally {
      await receiver.close();
    }
  });

  test('rejectOutOfOrder: false accepts older samples in order of time', async () => {
    const receiver = await StrictReceiver.start({ rejectOutOfOrder: false });
    try {
      assert.equal(
        (await send(receiver, [{ labels: [['__name__', 'm']], samples: [[2000, 2]] }])).status,
        204,
      );
      assert.equal(
        (await send(receiver, [{ labels: [['__name__', 'm']], samples: [[1000, 1]] }])).status,
        204,
      );
      assert.deepEqual(
        receiver
          .written()
          .get('__name__="m"')!
          .map((s) => s.timestampMs),
        [1000, 2000],
      );
    } finally {
      await receiver.close();
    }
  });

  test('rejectSample rejects chosen samples, writes the rest and quotes the first reason', async () => {
    const receiver = await StrictReceiver.start({
      rejectSample: (_labels, sample) => (sample.timestampMs < 1500 ? 'too old sample' : undefined),
    });
    try {
      const answer = await send(receiver, [cpu]);
      assert.equal(answer.status, 400);
      assert.equal(answer.body, 'too old sample');
      assert.equal(receiver.writtenSampleCount(), 1);
    } finally {
      await receiver.close();
    }
  });
});

describe('strict receiver write modes', () => {
  test("writeMode 'whole' stores nothing of a request with a refused sample, like Prometheus 2.42", async () => {
    const receiver = await StrictReceiver.start({
      writeMode: 'whole',
      rejectSample: (labels) => (labels.some((l) => l.value === 'bad') ? 'refused by policy' : undefined),
    });
    try {
      const bad: TestSeries = {
        labels: [
          ['__name__', 'm'],
          ['tag', 'bad'],
        ],
        samples: [[1000, 1]],
      };
      const answer = await send(receiver, [cpu, bad]);
      assert.equal(answer.status, 400);
      assert.equal(answer.body, 'refused by policy');
      assert.equal(receiver.writtenSampleCount(), 0, 'the valid series was not stored either');
      assert.equal((await send(receiver, [cpu])).status, 204);
      assert.equal(receiver.writtenSampleCount(), 2);
      const old = await send(receiver, [
        {
          labels: cpu.labels,
          samples: [
            [1500, 1],
            [3000, 3],
          ],
        },
      ]);
      assert.equal(old.status, 400);
      assert.match(old.body, /out of order/);
      assert.equal(
        receiver.writtenSampleCount(),
        2,
        'the newer sample of the refused request was not stored',
      );
    } finally {
      await receiver.close();
    }
  });

  test('rejectStatus answers a rejectSample refusal with another status (500 "too old sample")', async () => {
    for (const writeMode of ['partial', 'whole'] as const) {
      const receiver = await StrictReceiver.start({
        writeMode,
        rejectStatus: 500,
        rejectSample: (_labels, sample) => (sample.timestampMs < 1500 ? 'too old sample' : undefined),
      });
      try {
        const answer = await send(receiver, [cpu]);
        assert.equal(answer.status, 500);
        assert.equal(answer.body, 'too old sample');
        assert.equal(receiver.writtenSampleCount(), writeMode === 'partial' ? 1 : 0);
      } finally {
        await receiver.close();
      }
    }
  });
});

describe('strict receiver faults', () => {
  test('are applied one per request, in order', async () => {
    const receiver = await StrictReceiver.start();
    try {
      const faults: Fault[] = [
        { kind: 'status', status: 503, body: 'busy' },
        { kind: 'status', status: 429, retryAfter: '2' },
      ];
      receiver.enqueueFaults(...faults);
      const first = await send(receiver, [cpu]);
      assert.equal(first.status, 503);
      assert.equal(first.body, 'busy');
      const second = await send(receiver, [cpu]);
      assert.equal(second.status, 429);
      assert.equal(second.headers['retry-after'], '2');
      assert.equal(receiver.writtenSampleCount(), 0, 'a status fault writes nothing');
      assert.equal((await send(receiver, [cpu])).status, 204);
      assert.equal(receiver.writtenSampleCount(), 2);
      assert.deepEqual(
        receiver.requests.map((r) => r.status),
        [503, 429, 204],
      );
      assert.equal(receiver.pendingFaults, 0);
    } finally {
      await receiver.close();
    }
  });

  test('delay answers late after writing, so a client timeout happens after the data is stored', async () => {
    const receiver = await StrictReceiver.start();
    try {
      receiver.enqueueFaults({ kind: 'delay', ms: 5000 });
      await assert.rejects(
        post(receiver.url, compressSync(protobufBody([cpu])), GOOD_HEADERS, { timeoutMs: 200 }),
        /client timeout/,
      );
      assert.equal(receiver.writtenSampleCount(), 2);
    } finally {
      await receiver.close();
    }
  });

  test('drop resets the connection without an answer, before or after writing', async () => {
    const receiver = await StrictReceiver.start();
    try {
      receiver.enqueueFaults({ kind: 'drop' }, { kind: 'drop', afterWrite: true });
      await assert.rejects(send(receiver, [cpu]), /socket hang up|ECONNRESET/);
      assert.equal(receiver.writtenSampleCount(), 0);
      await assert.rejects(send(receiver, [cpu]), /socket hang up|ECONNRESET/);
      assert.equal(receiver.writtenSampleCount(), 2);
      assert.deepEqual(
        receiver.requests.map((r) => r.status),
        [0, 0],
      );
    } finally {
      await receiver.close();
    }
  });
});
