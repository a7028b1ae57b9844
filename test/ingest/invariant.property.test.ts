// Property: for random batches of good, malformed and receiver-rejected messages under random receiver faults,
// write modes and receive counts, every message id ends in exactly one of written / dead-lettered /
// batchItemFailures, and "written" is true: all its samples are in the receiver. A message on its final receive
// is never returned, and one before it never fails after retries. Runs the built bundle against the strict
// receiver and fauxqs. (test/ingest/delivery/ledger.property.test.ts checks delivery alone, many more runs.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { seriesKey, StrictReceiver, type Fault } from '../support/strict-receiver.js';
import { lambdaContext, loadBundle, sampleBody, sqsEvent, sqsRecord, sqsServerForFile } from './harness.js';
import { receiveAll } from '../support/queues.js';

const sqsServer = sqsServerForFile();

type Kind = 'good' | 'malformed' | 'rejected';

const messageArbitrary = fc.record({
  kind: fc.constantFrom<Kind>('good', 'good', 'good', 'malformed', 'rejected'),
  device: fc.integer({ min: 0, max: 5 }),
  second: fc.integer({ min: 0, max: 120 }),
  value: fc.integer({ min: -1000, max: 1000 }),
  receiveCount: fc.integer({ min: 1, max: 3 }),
});

const faultArbitrary: fc.Arbitrary<Fault> = fc.oneof(
  fc.constantFrom(500, 502, 503, 429, 400, 413).map((status): Fault => ({ kind: 'status', status })),
  fc.constant<Fault>({ kind: 'status', status: 504, afterWrite: true }),
  fc.constant<Fault>({ kind: 'drop' }),
  fc.constant<Fault>({ kind: 'drop', afterWrite: true }),
  fc.constant<Fault>({ kind: 'delay', ms: 400 }),
);

let run = 0;

test('every message ends written, dead-lettered or in batchItemFailures, exactly one of them', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(messageArbitrary, { minLength: 1, maxLength: 40 }),
      fc.array(faultArbitrary, { maxLength: 8 }),
      fc.constantFrom(3, 10, 1000),
      fc.boolean(),
      fc.constantFrom<'partial' | 'whole'>('partial', 'whole'),
      fc.constantFrom<number | undefined>(undefined, 3),
      async (messages, faults, maxSamples, withDeadLetterQueue, writeMode, maxReceiveCount) => {
        run += 1;
        const receiver = await StrictReceiver.start({
          writeMode,
          exactDuplicates: 'newest-only',
          rejectSample: (labels) =>
            labels.some((l) => l.value.startsWith('reject')) ? 'refused by policy' : undefined,
        });
        try {
          const dlq = withDeadLetterQueue
            ? (await sqsServer().createQueuePair(`prop-${run}`)).deadLetterQueueUrl
            : undefined;
          const handler = await loadBundle({
            REMOTE_WRITE_URL: receiver.url,
            REMOTE_WRITE_MAX_SAMPLES_PER_REQUEST: String(maxSamples),
            REMOTE_WRITE_TIMEOUT_MS: '200',
            RETRY_BASE_DELAY_MS: '1',
            RETRY_MAX_DELAY_MS: '20',
            DEADLINE_SAFETY_MARGIN_MS: '100',
            ...(dlq === undefined ? {} : { DEAD_LETTER_QUEUE_URL: dlq }),
            ...(maxReceiveCount === undefined ? {} : { MAX_RECEIVE_COUNT: String(maxReceiveCount) }),
          });
          receiver.enqueueFaults(...faults);
          const base = Date.now() - 10 * 60_000;
          const records = messages.map((m) => {
            const device = m.kind === 'rejected' ? `reject-${run}-${m.device}` : `d-${run}-${m.device}`;
            return sqsRecord(
              m.kind === 'malformed' ? '{"name":' : sampleBody(device, m.value, base + m.second * 1000),
              { receiveCount: m.receiveCount },
            );
          });
          const response = await handler(sqsEvent(records), lambdaContext(6000));
          const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
          const dead = new Map(
            (dlq === undefined ? [] : await receiveAll(sqsServer().client(), dlq)).map((m) => [
              m.MessageAttributes?.['bridge-source-message-id']?.StringValue ?? '',
              m.MessageAttributes?.['bridge-error-kind']?.StringValue ?? '',
            ]),
          );
          const written = receiver.written();
          records.forEach((record, i) => {
            const m = messages[i]!;
            const inFailures = failed.has(record.messageId);
            const inDlq = dead.has(record.messageId);
            assert.ok(!(inFailures && inDlq), `${record.messageId} both failed and dead-lettered`);
            const final = maxReceiveCount !== undefined && m.receiveCount >= maxReceiveCount;
            if (inDlq) {
              // A good message is dead-lettered only when an injected 400 hit it alone, or it kept failing on its
              // final receive.
              const kind = dead.get(record.messageId);
              const expected =
                m.kind === 'malformed'
                  ? ['invalid-message']
                  : ['rejected-by-receiver', ...(final ? ['failed-after-retries'] : [])];
              assert.ok(expected.includes(kind ?? ''), `${m.kind} message ${record.messageId}: ${kind}`);
            }
            if (final && dlq !== undefined && m.kind !== 'malformed') {
              assert.ok(!inFailures, `${record.messageId} returned on its final receive`);
            }
            if (m.kind !== 'good') {
              // Never acknowledged as written: it must be in one of the two other places.
              assert.ok(inFailures || inDlq, `${m.kind} message ${record.messageId} vanished`);
              return;
            }
            if (inFailures || inDlq) return;
            // Counted as written: its sample is stored. (A conflict loser — same series and time, other value —
            // is acknowledged with the winner, so compare the timestamp and accept the winner's value.)
            const key = seriesKey([
              { name: '__name__', value: 'temperature_celsius' },
              { name: 'device', value: `d-${run}-${m.device}` },
            ]);
            const stored = written.get(key)?.find((s) => s.timestampMs === base + m.second * 1000);
            assert.ok(stored !== undefined, `written message ${record.messageId} has no stored sample`);
          });
          assert.deepEqual(receiver.violations, []);
        } finally {
          await receiver.close();
        }
      },
    ),
    { numRuns: 20 },
  );
});
