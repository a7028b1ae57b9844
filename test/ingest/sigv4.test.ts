// SigV4 checked against an independent implementation (the aws4 package) for fixed credentials, a fixed
// clock and a session token. Only the clock is fixed; both signers do the real work.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import aws4 from 'aws4';
import { sigv4Authenticator } from '../../functions/ingest/auth/sigv4.js';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE//session/token+with=chars',
};
const signingTime = Date.parse('2026-03-04T05:06:07Z');

async function compare(url: URL, body: Uint8Array, extra: Record<string, string> = {}): Promise<void> {
  const headers: Record<string, string> = {
    host: url.host,
    'content-type': 'application/x-protobuf',
    'content-encoding': 'snappy',
    'x-prometheus-remote-write-version': '0.1.0',
    'user-agent': 'iot-prometheus-bridge/0.1.0',
    'content-length': String(body.byteLength),
    ...extra,
  };
  const auth = sigv4Authenticator({
    region: 'eu-west-1',
    credentials,
    clock: () => signingTime,
  });
  const added = await auth.authorize({ url, headers, body });
  assert.equal(added['x-amz-date'], '20260304T050607Z');
  assert.equal(added['x-amz-security-token'], credentials.sessionToken);

  // aws4 signs exactly the headers it is given (plus its own date/token); give it the same set.
  const reference = aws4.sign(
    {
      host: url.host,
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      service: 'aps',
      region: 'eu-west-1',
      body: Buffer.from(body),
      headers: {
        ...headers,
        'X-Amz-Date': added['x-amz-date'],
        ...(added['x-amz-content-sha256'] === undefined
          ? {}
          : { 'X-Amz-Content-Sha256': added['x-amz-content-sha256'] }),
      },
    },
    credentials,
  );
  const referenceHeaders = reference.headers as Record<string, string>;
  assert.equal(added['authorization'], referenceHeaders['Authorization']);
}

test('SigV4 signatures match aws4 for a fixed clock and session credentials', async () => {
  const body = new Uint8Array(Array.from({ length: 300 }, (_, i) => (i * 37) % 256));
  await compare(
    new URL('https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-abc/api/v1/remote_write'),
    body,
  );
  await compare(
    new URL('https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-abc/api/v1/remote_write'),
    body,
    {
      'x-scope-orgid': 'tenant',
    },
  );
  await compare(new URL('http://127.0.0.1:8080/api/v1/write?tenant=a&b=c%20d'), new Uint8Array());
});

test('every attempt is signed afresh with the current time', async () => {
  let now = signingTime;
  const auth = sigv4Authenticator({ region: 'us-east-1', credentials, clock: () => now });
  const url = new URL('https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws/api/v1/remote_write');
  const request = { url, headers: { host: url.host }, body: new Uint8Array([1, 2, 3]) };
  const first = await auth.authorize(request);
  now += 60_000;
  const second = await auth.authorize(request);
  assert.notEqual(first['x-amz-date'], second['x-amz-date']);
  assert.notEqual(first['authorization'], second['authorization']);
});
