// Redaction of receiver text: the credentials in use, in every form an echo can take, and anything shaped like
// an Authorization value, a scheme token, a SigV4 signature or a session token.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { AuthError, type Authenticator } from '../../functions/ingest/auth/authenticator.js';
import { credentialsFromSecret, secretAuthenticator } from '../../functions/ingest/auth/secret.js';
import { sigv4Authenticator } from '../../functions/ingest/auth/sigv4.js';
import { REDACTED, credentialsInHeaders, redact, secretForms } from '../../functions/ingest/redaction.js';
import { createRemoteWriteClient, MAX_RESPONSE_TEXT } from '../../functions/ingest/remote-write-client.js';
import { REMOTE_WRITE_HEADERS } from '../../functions/pipeline/index.js';

const TOKEN = 'SUPERSECRET-TOKEN-abc123';
const b64 = (text: string) => Buffer.from(text).toString('base64');

test('a credential is removed as sent, as base64, URL- and JSON-escaped', () => {
  const secret = 'pa/ss"wörd+1';
  for (const form of secretForms(secret)) {
    const out = redact(`before ${form} after`, [secret]);
    assert.equal(out, `before ${REDACTED} after`, form);
  }
});

test('Authorization values, scheme tokens, signatures and session tokens go whatever their value', () => {
  const text = [
    'Authorization: Bearer unknown-token-1',
    '{"authorization":"Basic dXNlcjpwYXNz"}',
    'map[Authorization:[Bearer unknown-token-2]]',
    'Proxy-Authorization: Basic Zm9vOmJhcg==',
    'got header bearer unknown-token-3',
    'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/us-east-1/aps/aws4_request, SignedHeaders=host, Signature=' +
      'a'.repeat(64),
    'X-Amz-Security-Token: FwoGZXIvYXdzEXAMPLESESSION',
    '?X-Amz-Security-Token=FwoGZXIvYXdzEXAMPLEQUERY&X-Amz-Signature=' + 'b'.repeat(64),
  ].join('\n');
  const out = redact(text, []);
  for (const secret of [
    'unknown-token-1',
    'dXNlcjpwYXNz',
    'unknown-token-2',
    'Zm9vOmJhcg==',
    'unknown-token-3',
    'a'.repeat(64),
    'FwoGZXIvYXdzEXAMPLESESSION',
    'FwoGZXIvYXdzEXAMPLEQUERY',
    'b'.repeat(64),
  ]) {
    assert.ok(!out.includes(secret), `${secret} left in ${out}`);
  }
  // The access key id names the key, it is not a secret; the text around stays readable.
  assert.match(out, /Credential=AKIDEXAMPLE/);
});

test('text cut inside a credential loses that credential beginning too', () => {
  assert.equal(redact(`echo: ${TOKEN.slice(0, 10)}`, [TOKEN], true), `echo: ${REDACTED}`);
  assert.equal(redact(`echo: ${TOKEN.slice(0, 10)}`, [TOKEN], false), `echo: ${TOKEN.slice(0, 10)}`);
});

test('the credentials each auth mode exposes for redaction', async () => {
  const basic = credentialsFromSecret('basic', '{"username":"svc-user","password":"hunter2-pw"}', 'arn');
  assert.deepEqual(basic.secrets, ['svc-user:hunter2-pw', 'svc-user', 'hunter2-pw']);
  const bearer = secretAuthenticator('bearer', 'arn', async () => TOKEN);
  assert.deepEqual(bearer.secrets?.(), []);
  await bearer.authorize({ url: new URL('https://h/x'), headers: {}, body: new Uint8Array() });
  assert.deepEqual(bearer.secrets?.(), [TOKEN]);
  const sigv4 = sigv4Authenticator({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'SESSION-TOKEN-xyz' },
  });
  const added = await sigv4.authorize({
    url: new URL('https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws/api/v1/remote_write'),
    headers: { host: 'aps-workspaces.us-east-1.amazonaws.com' },
    body: new Uint8Array([1]),
  });
  assert.deepEqual(sigv4.secrets?.(), ['SESSION-TOKEN-xyz']);
  assert.ok(credentialsInHeaders(added).includes(added.authorization!));
});

/** A receiver answering 401 with everything it was sent, headers and decoded credentials, padded to `size`. */
async function echoingReceiver(size = 0) {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on('end', () => {
      const authorization = request.headers.authorization ?? '';
      const token = authorization.split(' ')[1] ?? '';
      const echo = [
        `bad credentials: ${JSON.stringify(request.headers)}`,
        `token ${token} base64 ${b64(token)} decoded ${Buffer.from(token, 'base64').toString()}`,
      ].join('\n');
      response.writeHead(401).end('x'.repeat(size) + echo);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`);
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

for (const [mode, secret, forbidden] of [
  ['bearer', TOKEN, [TOKEN, b64(TOKEN)]],
  [
    'basic',
    '{"username":"svc-user","password":"hunter2-pw"}',
    ['hunter2-pw', 'svc-user', b64('svc-user:hunter2-pw')],
  ],
] as const) {
  test(`${mode}: the client's answer text holds no credential, also when cut at the limit`, async () => {
    for (const size of [0, MAX_RESPONSE_TEXT - 40, MAX_RESPONSE_TEXT - 8]) {
      const receiver = await echoingReceiver(size);
      const client = createRemoteWriteClient({
        url: receiver.url,
        authenticator: secretAuthenticator(mode, 'arn', async () => secret),
        protocolHeaders: REMOTE_WRITE_HEADERS,
        customHeaders: { 'X-Api-Key': 'custom-api-key-123' },
        maxSockets: 1,
      });
      try {
        const result = await client.send(new Uint8Array([0]), 5_000);
        assert.equal(result.kind, 'response');
        const text = result.kind === 'response' ? result.text : '';
        assert.ok(text.length <= MAX_RESPONSE_TEXT);
        for (const value of [...forbidden, 'custom-api-key-123']) {
          for (let length = 6; length <= value.length; length++) {
            assert.ok(!text.includes(value.slice(0, length)), `${value.slice(0, length)} in the answer`);
          }
        }
      } finally {
        client.close();
        await receiver.close();
      }
    }
  });
}

test('an auth error is cleaned of the credentials too', async () => {
  const leaky: Authenticator = {
    authorize: () => Promise.reject(new AuthError(`the server said: Authorization: Bearer ${TOKEN}`)),
    invalidate: () => false,
    secrets: () => [TOKEN],
  };
  const client = createRemoteWriteClient({
    url: new URL('http://127.0.0.1:9/api/v1/write'),
    authenticator: leaky,
    protocolHeaders: REMOTE_WRITE_HEADERS,
    maxSockets: 1,
  });
  await assert.rejects(client.send(new Uint8Array([0]), 5_000), (error: unknown) => {
    assert.ok(error instanceof AuthError);
    assert.ok(!error.message.includes(TOKEN) && !String(error.stack).includes(TOKEN));
    return true;
  });
  client.close();
});
