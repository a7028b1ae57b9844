// SigV4 checked against two independent implementations for fixed credentials and a session token: the aws4
// package, and @smithy/signature-v4 (the AWS SDK's signer, which the function used before signing on its own)
// for generated paths, queries, headers and bodies. Only the clock is fixed; the signers do the real work.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import aws4 from 'aws4';
import fc from 'fast-check';
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

/** What @smithy/signature-v4 (the AWS SDK's signer) adds to the same request, on its own SHA-256. */
async function smithyHeaders(
  url: URL,
  headers: Record<string, string>,
  body: Uint8Array,
  at: number,
): Promise<Record<string, string>> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const existing = query[key];
    query[key] =
      existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  const signer = new SignatureV4({ service: 'aps', region: 'eu-west-1', credentials, sha256: Sha256 });
  const request = new HttpRequest({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    path: url.pathname,
    query,
    headers: { ...headers },
    body,
  });
  const signed = (await signer.sign(request, { signingDate: new Date(at) })) as HttpRequest;
  return Object.fromEntries(
    Object.entries(signed.headers).filter(([name, value]) => headers[name] !== value),
  );
}

const headerValue = fc.stringMatching(/^[ \t]{0,2}[\w./=+-]{1,8}([ \t]{1,3}[\w./=+-]{1,8}){0,2}[ \t]{0,2}$/);
const pathSegment = fc.oneof(
  fc.constantFrom('.', '..', '', 'api', 'v1', 'a b', 'ü', "x!'()*"),
  fc.webSegment(),
);
const queryValue = fc.oneof(fc.constantFrom('', 'a b', 'ü', "!'()*", 'a&b'), fc.webSegment());

test('SigV4 headers equal @smithy/signature-v4 for generated paths, queries, headers and bodies', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(pathSegment, { maxLength: 5 }),
      fc.array(fc.tuple(fc.constantFrom('a', 'B', 'tenant', 'x y'), queryValue), { maxLength: 4 }),
      fc.dictionary(fc.stringMatching(/^x-[a-z]{1,6}$/), headerValue, { maxKeys: 3 }),
      fc.uint8Array({ maxLength: 64 }),
      fc.integer({ min: Date.parse('2020-01-01'), max: Date.parse('2030-01-01') }),
      async (segments, pairs, extra, body, at) => {
        const url = new URL('https://aps-workspaces.eu-west-1.amazonaws.com/');
        url.pathname = `/${segments.join('/')}`;
        for (const [name, value] of pairs) url.searchParams.append(name, value);
        const headers = { host: url.host, 'user-agent': 'bridge', 'content-type': 'x', ...extra };
        const auth = sigv4Authenticator({ region: 'eu-west-1', credentials, clock: () => at });
        const ours = await auth.authorize({ url, headers, body });
        assert.deepEqual(ours, await smithyHeaders(url, headers, body, at));
      },
    ),
    { numRuns: 300 },
  );
});

test('a request’s own authorization, x-amz-date and date headers are neither signed nor kept', async () => {
  const url = new URL('https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws/api/v1/remote_write');
  const headers = { host: url.host, authorization: 'old', 'x-amz-date': '19990101T000000Z', date: 'then' };
  const at = signingTime;
  const auth = sigv4Authenticator({ region: 'eu-west-1', credentials, clock: () => at });
  const ours = await auth.authorize({ url, headers, body: new Uint8Array([1]) });
  assert.deepEqual(ours, await smithyHeaders(url, headers, new Uint8Array([1]), at));
  assert.match(
    ours['authorization']!,
    /SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,/,
  );
});

test('credentials that resolve to no keys fail the signature with an AuthError', async () => {
  const auth = sigv4Authenticator({
    region: 'eu-west-1',
    credentials: () => Promise.resolve({} as typeof credentials),
  });
  const url = new URL('https://aps-workspaces.eu-west-1.amazonaws.com/');
  await assert.rejects(auth.authorize({ url, headers: {}, body: new Uint8Array() }), {
    name: 'AuthError',
    message: /SigV4 signing failed: Resolved credential object is not valid/,
  });
});
