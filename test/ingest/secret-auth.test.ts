// Secrets Manager cannot run here, so the secret fetch is a stand-in function; the caching, refetch and
// header construction under test are the real code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthError } from '../../functions/ingest/auth/authenticator.js';
import { authorizationFromSecret, secretAuthenticator } from '../../functions/ingest/auth/secret.js';

const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rw';
const request = { url: new URL('https://rw.example/api/v1/write'), headers: {}, body: new Uint8Array() };

test('bearer is the secret string, basic is JSON username/password', () => {
  assert.equal(authorizationFromSecret('bearer', ' tok3n \n', arn), 'Bearer tok3n');
  assert.equal(
    authorizationFromSecret('basic', '{"username":"user","password":"pä:ss"}', arn),
    `Basic ${Buffer.from('user:pä:ss').toString('base64')}`,
  );
  assert.throws(() => authorizationFromSecret('basic', 'plain', arn), AuthError);
  assert.throws(() => authorizationFromSecret('basic', '{"username":"u"}', arn), AuthError);
  assert.throws(() => authorizationFromSecret('bearer', '  ', arn), AuthError);
});

test('the secret is fetched once, shared by concurrent requests, and fetched again after invalidate()', async () => {
  let fetches = 0;
  const auth = secretAuthenticator('bearer', arn, async () => {
    fetches += 1;
    return `token-${fetches}`;
  });
  const [a, b] = await Promise.all([auth.authorize(request), auth.authorize(request)]);
  assert.deepEqual(a, { authorization: 'Bearer token-1' });
  assert.deepEqual(b, { authorization: 'Bearer token-1' });
  assert.deepEqual(await auth.authorize(request), { authorization: 'Bearer token-1' });
  assert.equal(fetches, 1);
  assert.equal(auth.invalidate(), true);
  assert.deepEqual(await auth.authorize(request), { authorization: 'Bearer token-2' });
  assert.equal(fetches, 2);
});

test('a failed fetch is an AuthError and is not cached', async () => {
  let calls = 0;
  const auth = secretAuthenticator('basic', arn, async () => {
    calls += 1;
    if (calls === 1) throw new Error('AccessDeniedException');
    return '{"username":"u","password":"p"}';
  });
  await assert.rejects(
    auth.authorize(request),
    (error: unknown) => error instanceof AuthError && /AccessDenied/.test(String(error)),
  );
  assert.deepEqual(await auth.authorize(request), {
    authorization: `Basic ${Buffer.from('u:p').toString('base64')}`,
  });
});

test('a secret that cannot become a header is not cached: the fixed secret is read next time', async () => {
  let calls = 0;
  const auth = secretAuthenticator('basic', arn, async () => {
    calls += 1;
    return calls === 1 ? 'not json' : '{"username":"u","password":"p"}';
  });
  await assert.rejects(auth.authorize(request), AuthError);
  assert.deepEqual(await auth.authorize(request), {
    authorization: `Basic ${Buffer.from('u:p').toString('base64')}`,
  });
  assert.equal(calls, 2);
});
