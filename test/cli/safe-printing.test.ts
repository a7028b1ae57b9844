// Device data cannot reach the operator's terminal raw: a dead-letter queue seeded with escape sequences,
// C1 controls and bidi characters in bodies (plain and base64) and attributes; the bytes `iotprom inspect`
// prints, as text and as --json, contain none of them.
import { SendMessageBatchCommand, type MessageAttributeValue } from '@aws-sdk/client-sqs';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSqsServer, type SqsServer } from '../../cli/local/sqs-server.js';
import { safeText } from '../../cli/safe-text.js';
import { cleanEnvironment, iotprom } from './support/iotprom.js';

const ESC = '\u001b';
const HOSTILE = [
  `${ESC}]0;pwned\u0007`, // OSC: window title
  `${ESC}[2J${ESC}[H`, // clear the screen
  `${ESC}]8;;https://example.invalid/${ESC}\\click${ESC}]8;;${ESC}\\`, // OSC-8 link
  'hidden\rshown', // CR hides the start of the line
  '\nby reason:\n  999  [invalid-message] forged', // a forged section
  '\u009b31m', // C1 CSI
  '\u0085\u008d', // C1 NEL, RI
  '\u202eevil\u202c \u2066isolate\u2069 \u200f\u061c', // bidi overrides, isolates, marks
  '\u007f\u0000\u0008', // DEL, NUL, BS
].join(' ');

/** What SQS accepts in a body (no C0 but tab, LF and CR): the 8-bit C1 forms, bidi, DEL, CR and LF. */
const HOSTILE_BODY = [
  '\u009d0;pwned\u009c', // 8-bit OSC ... ST: window title
  '\u009b2J', // 8-bit CSI: clear the screen
  'hidden\rshown',
  '\nby reason:\n  999  [invalid-message] forged',
  '\u202eevil\u202c \u2066isolate\u2069 \u200e',
  '\u007f',
].join(' ');

let server: SqsServer;
let dlq: string;

function str(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}

before(async () => {
  server = await startSqsServer();
  dlq = (await server.createQueuePair('hostile')).deadLetterQueueUrl;
  const json = JSON.stringify({ name: 'x', value: 1, labels: { device: HOSTILE } });
  const answer = await server.client().send(
    new SendMessageBatchCommand({
      QueueUrl: dlq,
      Entries: [
        { Id: 'plain', MessageBody: `${json}${HOSTILE_BODY}` },
        // What the IoT rule's useBase64 delivers: the device's bytes, escape sequences included.
        { Id: 'base64', MessageBody: Buffer.from(`{"raw":"${HOSTILE}"}`).toString('base64') },
      ].map((e, i) => ({
        ...e,
        MessageAttributes: {
          'bridge-error-kind': str(i === 0 ? 'invalid-message' : `rejected-by-receiver${HOSTILE}`),
          'bridge-error': str(`message m${i}: field labels.__${HOSTILE}: invalid label name`),
          device: str(HOSTILE),
        },
      })),
    }),
  );
  assert.deepEqual(answer.Failed ?? [], []);
});
after(() => server.stop());

/** Every raw character the output must not contain, with its position, or undefined. */
function firstUnsafe(output: Buffer): string | undefined {
  const text = output.toString('utf8');
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  const match = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/.exec(
    text,
  );
  return match === null
    ? undefined
    : `U+${match[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${match.index}`;
}

test('inspect prints no raw control, C1 or bidi character, as text or as --json', async () => {
  const env = cleanEnvironment({ AWS_ENDPOINT_URL_SQS: server.endpoint });
  for (const json of [false, true]) {
    const run = await iotprom([...(json ? ['--json'] : []), 'inspect', '--queue', dlq, '--wait', '0'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(firstUnsafe(run.stdout), undefined, run.stdout.toString('utf8'));
    assert.equal(firstUnsafe(Buffer.from(run.stderr)), undefined);
    const text = run.stdout.toString('utf8');
    if (json) {
      const summary = JSON.parse(text) as {
        scanned: number;
        examples: Array<{ body: string; bodyEncoding: string }>;
      };
      assert.equal(summary.scanned, 2);
      // Even what `jq -r` would print is escaped: the JSON strings hold `\x1b`, not ESC.
      for (const e of summary.examples) assert.equal(firstUnsafe(Buffer.from(e.body)), undefined);
      assert.ok(
        summary.examples.some((e) => e.bodyEncoding === 'base64' && e.body.includes('\\x1b]0;pwned')),
      );
      assert.ok(summary.examples.some((e) => e.bodyEncoding === 'text' && e.body.includes('\\x9d0;pwned')));
    } else {
      assert.equal(text.match(/^by reason/gm)?.length, 1, text);
      assert.match(text, /\\x1b\]0;pwned\\x07/);
      assert.match(text, /body \(base64-decoded\): \{"raw":"\\x1b/);
    }
  }
});

test('safeText escapes and cuts to the documented length, counting characters, not escapes', () => {
  assert.equal(safeText('a\u001bb\u202ec\n', 10), 'a\\x1bb\\u202ec\\n');
  assert.equal(safeText('\u0085\u007f\t', 10), '\\x85\\x7f\\t');
  assert.equal(safeText('x'.repeat(12), 10), `${'x'.repeat(10)}… (12 chars)`);
  assert.equal(safeText('😀'.repeat(3), 2), '😀😀… (3 chars)');
  assert.equal(safeText('\ud800x', 5), '\\ud800x');
});
