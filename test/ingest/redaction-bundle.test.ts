// Credentials a receiver echoes back never leave the bridge: through the built bundle, for bearer, basic and
// SigV4, a receiver repeats the request's Authorization (and session token) in its 400 and 401 bodies. Neither
// the credential nor its base64 may appear on stdout (logs and metrics) or in the dead-letter attributes.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { receiveAll } from '../support/queues.js';
import { lambdaContext, loadBundle, sampleBody, sqsEvent, sqsRecord, sqsServerForFile } from './harness.js';

const BEARER_TOKEN = 'SUPERSECRET-TOKEN-abc123';
const USERNAME = 'svc-bridge-user';
const PASSWORD = 'hunter2-PASSWORD-xyz';
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN0123456789';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:rw-AbCdEf';
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

const sqsServer = sqsServerForFile();

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Answers every request with `status` and a body repeating its credentials in plain, decoded and base64 forms. */
class EchoingReceiver {
  status = 400;
  /** Every credential-bearing header value the receiver saw. */
  readonly seen = new Set<string>();
  private readonly server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on('end', () => {
      const authorization = request.headers.authorization ?? '';
      const session = String(request.headers['x-amz-security-token'] ?? '');
      // The token of Bearer and Basic; SigV4's second word is the credential scope, which is not secret.
      const token = /^(?:Bearer|Basic) (\S+)$/.exec(authorization)?.[1] ?? '';
      const signature = /Signature=([0-9a-f]+)/.exec(authorization)?.[1] ?? '';
      for (const value of [authorization, token, session, signature]) if (value !== '') this.seen.add(value);
      const body = [
        `refused: you sent Authorization: ${authorization}`,
        `headers ${JSON.stringify(request.headers)}`,
        `token ${token} (base64 ${b64(token)}, decoded ${Buffer.from(token, 'base64').toString('utf8')})`,
        `session ${session} base64 ${b64(session)} signature ${signature}`,
      ].join('\n');
      response.writeHead(this.status, { 'content-type': 'text/plain' }).end(body);
    });
  });
  url = '';

  async start(): Promise<this> {
    this.url = `${await listen(this.server)}/api/v1/write`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Secrets Manager's GetSecretValue, answering with whatever `secret` holds now. */
let secretString = BEARER_TOKEN;
const secretsManager = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response
      .writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
      .end(JSON.stringify({ ARN: SECRET_ARN, Name: 'rw', VersionId: 'v1', SecretString: secretString }));
  });
});

let receiver: EchoingReceiver;
before(async () => {
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = await listen(secretsManager);
  receiver = await new EchoingReceiver().start();
});
after(async () => {
  await receiver.close();
  await new Promise<void>((resolve) => secretsManager.close(() => resolve()));
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.REMOTE_WRITE_SIGV4_ANY_HOST;
});

/** Everything the bundle writes to stdout while `body` runs. */
async function captureStdout(body: () => Promise<void>): Promise<string> {
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  try {
    await body();
  } finally {
    process.stdout.write = write;
  }
  return lines.join('');
}

interface Case {
  readonly auth: 'bearer' | 'basic' | 'sigv4';
  readonly env: Record<string, string>;
  readonly secret?: string;
  /** The credentials in use, known before the run. */
  readonly credentials: readonly string[];
}

const CASES: readonly Case[] = [
  {
    auth: 'bearer',
    env: { REMOTE_WRITE_SECRET_ARN: SECRET_ARN },
    secret: BEARER_TOKEN,
    credentials: [BEARER_TOKEN],
  },
  {
    auth: 'basic',
    env: { REMOTE_WRITE_SECRET_ARN: SECRET_ARN },
    secret: JSON.stringify({ username: USERNAME, password: PASSWORD }),
    credentials: [USERNAME, PASSWORD, `${USERNAME}:${PASSWORD}`],
  },
  {
    auth: 'sigv4',
    env: { REMOTE_WRITE_SIGV4_ANY_HOST: 'true', AWS_SESSION_TOKEN: SESSION_TOKEN },
    credentials: [SESSION_TOKEN],
  },
];

for (const testCase of CASES) {
  for (const status of [400, 401]) {
    test(`${testCase.auth}, HTTP ${status}: no credential on stdout or in the dead-letter attributes`, async () => {
      receiver.status = status;
      receiver.seen.clear();
      secretString = testCase.secret ?? '';
      const queues = await sqsServer().createQueuePair(`redaction-${testCase.auth}-${status}`);
      const stdout = await captureStdout(async () => {
        const handler = await loadBundle({
          REMOTE_WRITE_URL: receiver.url,
          REMOTE_WRITE_AUTH: testCase.auth,
          DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
          POWERTOOLS_LOG_LEVEL: 'DEBUG',
          POWERTOOLS_METRICS_DISABLED: 'false',
          ...testCase.env,
        });
        const record = sqsRecord(sampleBody('d-1', 21.5, Date.now()));
        await handler(sqsEvent([record]), lambdaContext(20_000));
      });
      const letters = await receiveAll(sqsServer().client(), queues.deadLetterQueueUrl);
      const attributes = JSON.stringify(letters.map((letter) => letter.MessageAttributes ?? {}));
      if (status === 400) {
        assert.equal(letters.length, 1, 'the refused message is dead-lettered');
        assert.match(attributes, /rejected-by-receiver/);
        assert.match(attributes, /REDACTED/, 'the receiver text is quoted, cleaned');
      }
      assert.ok(receiver.seen.size > 0, 'the receiver saw credentials');
      assert.match(stdout, /REDACTED/, 'the receiver text is logged, cleaned');
      const forbidden = [...testCase.credentials, ...receiver.seen];
      for (const value of forbidden.flatMap((v) => [v, b64(v)])) {
        assert.ok(!stdout.includes(value), `stdout holds ${value}`);
        assert.ok(!attributes.includes(value), `the dead-letter attributes hold ${value}`);
      }
    });
  }
}
